package mockgw_test

import (
	"fmt"
	"io"
	"log"
	"net/http"
	"strings"

	"ccgw-harness/gateway"
	"ccgw-harness/mockgw"
)

// A test starts the mock in-process, signs an agent in over plain HTTPS with
// the client the mock hands out, and asks for the agent's softphone login
// info with the Guid of the sign-in answer.
func ExampleNew() {
	srv, err := mockgw.New(mockgw.WithPassword("s3cret"))
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	c := srv.Client() // trusts the mock's self-signed certificate

	// Sign agent 1001 in; the Set-GUID header carries its session Guid.
	signIn := `{"password":"s3cret","phonenum":"88001001"}`
	h, retcode := call(c, http.MethodPut, srv.URL()+gateway.SignInPath(1001), "", signIn)
	fmt.Println("sign-in retcode:", retcode)
	sg, err := gateway.ParseSetGuid(h.Get(gateway.HeaderSetGuid))
	if err != nil {
		log.Fatal(err)
	}

	// Ask for the login info with that Guid (never print it: it is a secret).
	_, retcode = call(c, http.MethodPost, srv.URL()+gateway.LoginInfoPath(1001), sg.Guid, "")
	fmt.Println("logininfo retcode:", retcode)

	// Output:
	// sign-in retcode: 0
	// logininfo retcode: 0
}

// call sends one request of the agent interface and returns the answer's
// headers and envelope retcode.
func call(c *http.Client, method, url, guid, body string) (http.Header, string) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		log.Fatal(err)
	}
	req.Header.Set(gateway.HeaderContentType, gateway.ContentTypeJSON)
	if guid != "" {
		req.Header.Set(gateway.HeaderGuid, guid)
	}
	resp, err := c.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		log.Fatal(err)
	}
	env, err := gateway.DecodeEnvelope(b)
	if err != nil {
		log.Fatal(err)
	}
	return resp.Header, env.Retcode
}
