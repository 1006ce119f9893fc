package mockgw

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"ccgw-harness/mockgw/faultset"
)

// AdminPrefix is the path prefix of the mock's administrative endpoints,
// outside the gateway's own paths:
//
//	GET  /ccgw-admin/stats    Stats as JSON
//	GET  /ccgw-admin/faults   the current Faults as JSON
//	PUT  /ccgw-admin/faults   replace the Faults (absent fields are zero);
//	                          400 naming the field on bad input
//	GET  /ccgw-admin/defects  the active defects, a JSON list of names
//	PUT  /ccgw-admin/defects  replace them; 400 naming an unknown defect
//	POST /ccgw-admin/restart  a gateway restart (every session is lost)
const AdminPrefix = "/ccgw-admin/"

// maxAdminBody bounds admin request bodies.
const maxAdminBody = 64 << 10

// admin serves the administrative endpoints; name is the path after
// AdminPrefix.
func (s *Server) admin(w http.ResponseWriter, r *http.Request, name string) {
	switch name {
	case "stats":
		if !adminMethod(w, r, http.MethodGet) {
			return
		}
		writeAdminJSON(w, http.StatusOK, s.Stats())
	case "faults":
		if !adminMethod(w, r, http.MethodGet, http.MethodPut) {
			return
		}
		if r.Method == http.MethodPut {
			body, err := readAdminBody(r)
			if err != nil {
				writeAdminError(w, err)
				return
			}
			var f faultset.Faults
			if err := json.Unmarshal(body, &f); err != nil {
				writeAdminError(w, err)
				return
			}
			if err := s.SetFaults(f); err != nil {
				writeAdminError(w, err)
				return
			}
		}
		writeAdminJSON(w, http.StatusOK, s.Faults())
	case "defects":
		if !adminMethod(w, r, http.MethodGet, http.MethodPut) {
			return
		}
		if r.Method == http.MethodPut {
			body, err := readAdminBody(r)
			if err != nil {
				writeAdminError(w, err)
				return
			}
			var names []string
			if err := json.Unmarshal(body, &names); err != nil {
				writeAdminError(w, fmt.Errorf("defects: want a JSON list of names: %w", err))
				return
			}
			ds := make([]Defect, 0, len(names))
			for _, n := range names {
				d, err := ParseDefect(n)
				if err != nil {
					writeAdminError(w, err)
					return
				}
				ds = append(ds, d)
			}
			s.SetDefects(ds...)
		}
		writeAdminJSON(w, http.StatusOK, s.Defects())
	case "restart":
		if !adminMethod(w, r, http.MethodPost) {
			return
		}
		s.Restart()
		w.WriteHeader(http.StatusNoContent)
	default:
		http.NotFound(w, r)
	}
}

// adminMethod answers 405 with Allow unless r's method is one of allowed.
func adminMethod(w http.ResponseWriter, r *http.Request, allowed ...string) bool {
	for _, m := range allowed {
		if r.Method == m {
			return true
		}
	}
	w.Header().Set("Allow", strings.Join(allowed, ", "))
	w.WriteHeader(http.StatusMethodNotAllowed)
	return false
}

// readAdminBody reads a bounded request body.
func readAdminBody(r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxAdminBody+1))
	if err != nil {
		return nil, err
	}
	if len(body) > maxAdminBody {
		return nil, errors.New("body too large")
	}
	return body, nil
}

// writeAdminJSON writes v as indented JSON.
func writeAdminJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header()["Content-Type"] = ctJSON
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// writeAdminError answers 400 with {"error": "..."}.
func writeAdminError(w http.ResponseWriter, err error) {
	writeAdminJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
}
