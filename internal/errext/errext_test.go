package errext

import (
	"errors"
	"fmt"
	"testing"
)

func TestExitCodes(t *testing.T) {
	boom := errors.New("boom")
	for _, c := range []struct {
		name    string
		err     error
		code    int
		has     bool
		msg     string
		isBoom  bool
		wantNil bool
	}{
		{name: "nil", err: nil, wantNil: true},
		{name: "code 0 without an error", err: WithExitCode(nil, 0), wantNil: true},
		{name: "plain error", err: boom, msg: "boom", isBoom: true},
		{name: "with a code", err: WithExitCode(boom, 130), code: 130, has: true, msg: "boom", isBoom: true},
		{name: "silent", err: WithExitCode(nil, 1), code: 1, has: true},
		{name: "wrapped", err: fmt.Errorf("shard 1/3: %w", WithExitCode(boom, 3)), code: 3, has: true, msg: "shard 1/3: boom", isBoom: true},
		{name: "silent, wrapped", err: fmt.Errorf("context: %w", WithExitCode(nil, 2)), code: 2, has: true, msg: "context: exit 2"},
	} {
		if (c.err == nil) != c.wantNil {
			t.Errorf("%s: %v, want nil %v", c.name, c.err, c.wantNil)
		}
		code, has := ExitCode(c.err)
		if code != c.code || has != c.has {
			t.Errorf("%s: ExitCode = %d, %v; want %d, %v", c.name, code, has, c.code, c.has)
		}
		if m := Message(c.err); m != c.msg {
			t.Errorf("%s: Message = %q, want %q", c.name, m, c.msg)
		}
		if errors.Is(c.err, boom) != c.isBoom {
			t.Errorf("%s: errors.Is(boom) = %v", c.name, !c.isBoom)
		}
	}
}
