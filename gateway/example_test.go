package gateway_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"ccgw-harness/gateway"
	"ccgw-harness/mockgw"
)

// An agent's life against the embedded mock gateway: sign in, fetch the
// softphone's login info, sign out. Against a real gateway only NewClient's
// arguments change (its URL and WithTLS).
func ExampleClient() {
	srv, err := mockgw.New(mockgw.WithPassword("s3cret"))
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	c, err := gateway.NewClient(srv.URL(), gateway.WithHTTPClient(srv.Client()))
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()

	s, err := c.SignIn(ctx, 1001, gateway.SignInRequest{Password: "s3cret", PhoneNum: "88001001"})
	if err != nil {
		log.Fatal(err)
	}
	li, err := c.LoginInfo(ctx, s)
	if err != nil {
		log.Fatal(err)
	}
	// The token is a secret: say only that there is one.
	fmt.Println("phonenum:", li.PhoneNum, "token:", li.PhoneToken != "")

	if err := c.SignOut(ctx, s); err != nil {
		log.Fatal(err)
	}
	// The session's Guid is dead now: the gateway refuses it.
	_, err = c.LoginInfo(ctx, s)
	var ge *gateway.Error
	if errors.As(err, &ge) {
		fmt.Println("after sign-out: retcode", ge.Retcode, "("+gateway.RetcodeMeaning(ge.Retcode)+")")
	}
	fmt.Println("session gone:", gateway.SessionGone(err))

	// Output:
	// phonenum: 88001001 token: true
	// after sign-out: retcode 100-006 (agent not signed in)
	// session gone: true
}
