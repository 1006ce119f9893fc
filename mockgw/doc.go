// Package mockgw is a faithful, stateful and fast mock of the CC-Gateway
// agent interface (see gateway for the contract vocabulary): sign-in, forced
// sign-in, logininfo, sign-out, event long-polling and Guid refresh, with
// per-agent sessions, static and dynamic authentication (Guid rotation and
// timeouts), idle sign-out, an optional cluster of N nodes behind one address
// with sticky NSLBROUTE routing, fault injection (faultset.Faults) and
// deliberate contract defects (Defect) that prove a contract suite has teeth,
// and a capacity model (WithCapacity: at most N logininfo answers per second,
// in arrival order) for capacity searches to find.
//
// A Server is embeddable like net/http/httptest: New listens on loopback and
// serves TLS at once (HTTP/1.1 and HTTP/2 via ALPN) with a self-signed
// certificate; Client returns an *http.Client that trusts it; Close stops
// every goroutine the server started.
//
//	srv, err := mockgw.New(mockgw.WithAuthMode(gateway.AuthStatic))
//	if err != nil { ... }
//	defer srv.Close()
//	c := srv.Client()
//	// PUT srv.URL()+gateway.SignInPath(1001) ...
//
// Administrative endpoints live outside the gateway's path prefix, under
// AdminPrefix (/ccgw-admin/): stats, faults, defects and restart.
//
// The mock never logs Guids, phonetokens or passwords.
package mockgw
