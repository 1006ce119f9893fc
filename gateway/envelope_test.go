package gateway

import (
	"errors"
	"testing"
)

func TestDecodeEnvelope(t *testing.T) {
	type want struct {
		err              error // ErrTruncated, ErrMalformed or nil
		retcode, message string
		result           string
	}
	cases := []struct {
		name string
		body string
		want want
	}{
		{"valid", `{"message":"success","retcode":"0","result":{"phonetoken":"t","phonenum":"1"}}`,
			want{retcode: "0", message: "success", result: `{"phonetoken":"t","phonenum":"1"}`}},
		{"valid, surrounded by JSON white space", " \t\r\n{\"retcode\":\"100-006\"}\n",
			want{retcode: "100-006"}},
		{"valid, null result and message", `{"retcode":"0","message":null,"result":null}`, want{retcode: "0"}},
		{"valid, unknown members ignored", `{"retcode":"0","event":{"eventType":"x"},"Retcode":"1"}`, want{retcode: "0"}},
		{"valid, escaped member name", `{"ret\u0063ode":"0"}`, want{retcode: "0"}},
		{"empty retcode is still a string", `{"retcode":""}`, want{retcode: ""}},
		{"missing retcode", `{"message":"x","result":{}}`, want{err: ErrMalformed}},
		{"retcode in another case", `{"RETCODE":"0"}`, want{err: ErrMalformed}},
		{"numeric retcode", `{"retcode":0}`, want{err: ErrMalformed}},
		{"null retcode", `{"retcode":null}`, want{err: ErrMalformed}},
		{"duplicate retcode", `{"retcode":"0","retcode":"100-006"}`, want{err: ErrMalformed}},
		{"numeric message", `{"retcode":"0","message":1}`, want{err: ErrMalformed}},
		{"result array", `{"retcode":"0","result":[{"phonetoken":"t"}]}`, want{err: ErrMalformed}},
		{"result string", `{"retcode":"0","result":"x"}`, want{err: ErrMalformed}},
		{"truncated in a string", `{"retcode":"0","result":{"phonetoken":"abc`, want{err: ErrTruncated}},
		{"truncated after a member", `{"retcode":"0",`, want{err: ErrTruncated}},
		{"only an opening brace", `{`, want{err: ErrTruncated}},
		{"trailing object", `{"retcode":"0"} {"retcode":"1"}`, want{err: ErrMalformed}},
		{"trailing garbage", `{"retcode":"0"}x`, want{err: ErrMalformed}},
		{"trailing brace", `{"retcode":"0"}}`, want{err: ErrMalformed}},
		{"empty", ``, want{err: ErrTruncated}},
		{"only white space", " \n\t", want{err: ErrTruncated}},
		{"array", `[{"retcode":"0"}]`, want{err: ErrMalformed}},
		{"string", `"0"`, want{err: ErrMalformed}},
		{"HTML error page", `<html>503</html>`, want{err: ErrMalformed}},
		{"syntax error", `{"retcode":"0",,}`, want{err: ErrMalformed}},
		{"no-break space is not JSON white space", "\u00a0{\"retcode\":\"0\"}", want{err: ErrMalformed}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env, err := DecodeEnvelope([]byte(tc.body))
			if tc.want.err != nil {
				if !errors.Is(err, tc.want.err) {
					t.Fatalf("error %v, want one wrapping %v", err, tc.want.err)
				}
				if other := map[error]error{ErrTruncated: ErrMalformed, ErrMalformed: ErrTruncated}[tc.want.err]; errors.Is(err, other) {
					t.Errorf("error %v wraps both sentinels", err)
				}
				if env.Retcode != "" || env.Message != "" || env.Result != nil {
					t.Errorf("a failed decode returned %+v", env)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if env.Retcode != tc.want.retcode || env.Message != tc.want.message || string(env.Result) != tc.want.result {
				t.Errorf("got retcode %q message %q result %s", env.Retcode, env.Message, env.Result)
			}
			if env.OK() != (tc.want.retcode == RetOK) {
				t.Errorf("OK() = %v", env.OK())
			}
		})
	}
}

func TestDecodeLoginInfo(t *testing.T) {
	cases := []struct {
		result  string
		want    LoginInfo
		wantErr bool
	}{
		{``, LoginInfo{}, false},
		{`{"phonetoken":"tok","phonenum":"71001"}`, LoginInfo{PhoneToken: "tok", PhoneNum: "71001"}, false},
		{`{"phonetoken":"tok"}`, LoginInfo{PhoneToken: "tok"}, false},
		{`{"phonetoken":null,"phonenum":"1"}`, LoginInfo{PhoneNum: "1"}, false},
		{`{"PhoneToken":"tok","PHONENUM":"1"}`, LoginInfo{}, false}, // names match exactly
		{`{"phonetoken":"tok","extra":[1,2]}`, LoginInfo{PhoneToken: "tok"}, false},
		{`{"phonetoken":123}`, LoginInfo{}, true},
		{`{"phonenum":71001}`, LoginInfo{}, true},
		{`{"phonetoken":"a","phonetoken":"b"}`, LoginInfo{}, true},
		{`["tok"]`, LoginInfo{}, true},
		{`"tok"`, LoginInfo{}, true},
		{`{"phonetoken":"tok"`, LoginInfo{}, true},
	}
	for _, tc := range cases {
		li, err := DecodeLoginInfo([]byte(tc.result))
		if (err != nil) != tc.wantErr {
			t.Errorf("DecodeLoginInfo(%s): error %v, want error %v", tc.result, err, tc.wantErr)
		}
		if err != nil && !errors.Is(err, ErrMalformed) {
			t.Errorf("DecodeLoginInfo(%s): error %v does not wrap ErrMalformed", tc.result, err)
		}
		if li != tc.want {
			t.Errorf("DecodeLoginInfo(%s) = %+v, want %+v", tc.result, li, tc.want)
		}
	}
}
