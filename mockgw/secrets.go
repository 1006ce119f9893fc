package mockgw

// Kinds of secret a secret hook is told about (see WithSecretHook).
const (
	// SecretGuid is a Guid the mock issued: at sign-in, forced sign-in,
	// event-poll rotation or updateGuid. The value is the Guid itself, the
	// part of Set-GUID after "JSESSIONID=" (UUID and node suffix).
	SecretGuid = "guid"
	// SecretToken is a phonetoken the mock put in an answer.
	SecretToken = "token"
	// SecretPassword is a password the mock accepted at sign-in.
	SecretPassword = "password"
)

// WithSecretHook makes the server call f for every secret it hands out or
// accepts: every Guid it issues (SecretGuid), every phonetoken it returns
// (SecretToken, truncated and slow answers included) and every password a
// sign-in passes the password check with (SecretPassword). Tests use it to
// collect the secrets and scan a harness's outputs for them; the mock
// itself never logs them.
//
// f runs on the request's goroutine, before the answer is written, so it
// must be safe for concurrent use and quick. Without a hook the mock pays
// one nil check per secret.
func WithSecretHook(f func(kind, value string)) Option {
	return func(s *Server) { s.secretHook = f }
}

// secret tells the secret hook, if any, about value.
func (s *Server) secret(kind, value string) {
	if s.secretHook != nil {
		s.secretHook(kind, value)
	}
}
