// Package gatewaytest holds test data for the contract oracle: logininfo
// answers with the verdict gateway.JudgeLoginInfo must give each, so that
// the gateway's tests pin the oracle's decisions and the load engine's tests
// prove that its judge gives the same verdicts. Standard library only;
// only tests import it.
package gatewaytest

// Phone is the phonenum the agent of most cases signed in with.
const Phone = "71001"

// The Content-Type values of most cases.
const (
	// ContentTypeMock is what the mock gateway sends.
	ContentTypeMock = "application/json;charset=UTF-8"
	// ContentTypeDocumented is the documented spelling.
	ContentTypeDocumented = "application/json; charset=UTF-8"
)

// OK is a success answer of the mock's form for Phone.
const OK = `{"message":"success","retcode":"0","result":{"phonetoken":"abc123","phonenum":"71001"}}`

// LoginInfoCase is one logininfo answer and the oracle's verdict on it.
type LoginInfoCase struct {
	Name        string
	Status      int
	ContentType string
	Body        string
	WantPhone   string
	// Verdict is the verdict's results-file form (gateway.Verdict.String):
	// "" for success, else "CLASS DETAIL".
	Verdict string
}

// c is a case of status 200 for Phone with the mock's Content-Type.
func c(name, body, verdict string) LoginInfoCase {
	return LoginInfoCase{Name: name, Status: 200, ContentType: ContentTypeMock, Body: body, WantPhone: Phone, Verdict: verdict}
}

// ct is a case of a success body with another Content-Type.
func ct(name, contentType, verdict string) LoginInfoCase {
	k := c(name, OK, verdict)
	k.ContentType = contentType
	return k
}

// LoginInfoCases returns the oracle's decisions, one case each, grouped as
// the success rule of docs/contract-suite.md lists them. Every call returns a
// fresh slice.
func LoginInfoCases() []LoginInfoCase {
	cases := []LoginInfoCase{
		// Success in its usual forms.
		c("success", OK, ""),
		c("success, members in another order, JSON white space", " {\n\t\"result\" : { \"phonenum\" : \"71001\" , \"phonetoken\" : \"t\" } ,\r\n \"retcode\" : \"0\" , \"message\" : \"\" }\n", ""),
		c("success, empty message", `{"message":"","retcode":"0","result":{"phonetoken":"t","phonenum":"71001"}}`, ""),
		c("success, escaped and non-ASCII message", `{"message":"\u6210\u529f \"ok\" 成功","retcode":"0","result":{"phonetoken":"t","phonenum":"71001"}}`, ""),
		c("success, escapes in member names and values", `{"message":"x","ret\u0063ode":"\u0030","result":{"phonetoken":"t\/1","phone\u006eum":"7100\u0031"}}`, ""),
		c("success, other members ignored", `{"message":"x","retcode":"0","event":null,"Retcode":"1","result":{"phonetoken":"t","phonenum":"71001","extra":[1]}}`, ""),
		c("success, an ignored member given twice", `{"message":"x","retcode":"0","event":1,"event":2,"result":{"phonetoken":"t","phonenum":"71001"}}`, ""),
		c("success, invalid UTF-8 in the token is read as encoding/json reads it", "{\"message\":\"x\",\"retcode\":\"0\",\"result\":{\"phonetoken\":\"t\xff\",\"phonenum\":\"71001\"}}", ""),

		// Content-Type: a media type as mime.ParseMediaType parses it.
		ct("Content-Type documented", ContentTypeDocumented, ""),
		ct("Content-Type bare", "application/json", ""),
		ct("Content-Type in other ASCII case", "Application/JSON; Charset=utf-8", ""),
		ct("Content-Type quoted charset", `application/json; charset="UTF-8"`, ""),
		ct("Content-Type two parameters", "application/json; charset=UTF-8; v=1", ""),
		ct("Content-Type spaces around", " application/json ; charset=UTF-8 ", ""),
		ct("Content-Type trailing semicolon", "application/json;", ""),
		ct("Content-Type parameter without value", "application/json; charset", "contract content_type"),
		ct("Content-Type parameter with empty value", "application/json; charset=", "contract content_type"),
		ct("Content-Type unterminated quote", `application/json; charset="UTF-8`, "contract content_type"),
		ct("Content-Type one parameter given twice, differently", "application/json; charset=UTF-8; charset=latin1", "contract content_type"),
		ct("Content-Type double semicolon", "application/json;;", "contract content_type"),
		ct("Content-Type without semicolon", "application/json charset=UTF-8", "contract content_type"),
		ct("Content-Type text/plain", "text/plain;charset=UTF-8", "contract content_type"),
		ct("Content-Type missing", "", "contract content_type"),
		ct("Content-Type longer subtype", "application/jsonx", "contract content_type"),
		ct("Content-Type JSON patch", "application/json-patch+json", "contract content_type"),
		ct("Content-Type dotted capital I", "APPL\u0130CAT\u0130ON/JSON", "contract content_type"),
		ct("Content-Type long s", "application/j\u017fon", "contract content_type"),
		ct("Content-Type no-break space", "\u00a0application/json", "contract content_type"),
		{Name: "Content-Type is not judged on an error answer", Status: 200, ContentType: "text/plain", Body: `{"message":"x","retcode":"100-006"}`, WantPhone: Phone, Verdict: "retcode 100-006"},

		// message: a string in a success answer.
		c("message missing", `{"retcode":"0","result":{"phonetoken":"t","phonenum":"71001"}}`, "contract no_message"),
		c("message null", `{"message":null,"retcode":"0","result":{"phonetoken":"t","phonenum":"71001"}}`, "contract no_message"),
		c("message a number", `{"message":1,"retcode":"0","result":{"phonetoken":"t","phonenum":"71001"}}`, "envelope malformed"),
		c("message an object", `{"message":{},"retcode":"0","result":{"phonetoken":"t","phonenum":"71001"}}`, "envelope malformed"),
		c("message missing in an error answer", `{"retcode":"100-006"}`, "retcode 100-006"),

		// Envelope members given twice: malformed.
		c("retcode twice", `{"message":"x","retcode":"0","retcode":"0","result":{"phonetoken":"t","phonenum":"71001"}}`, "envelope malformed"),
		c("retcode twice, last says success", `{"message":"x","retcode":"100-006","retcode":"0","result":{"phonetoken":"t","phonenum":"71001"}}`, "envelope malformed"),
		c("message twice", `{"message":"x","message":"y","retcode":"0","result":{"phonetoken":"t","phonenum":"71001"}}`, "envelope malformed"),
		c("result twice", `{"message":"x","retcode":"0","result":{"phonetoken":"t","phonenum":"79999"},"result":{"phonetoken":"t","phonenum":"71001"}}`, "envelope malformed"),
		// Result members given twice: the result breaks the contract.
		c("phonetoken twice", `{"message":"x","retcode":"0","result":{"phonetoken":"","phonetoken":"t","phonenum":"71001"}}`, "contract result_types"),
		c("phonenum twice", `{"message":"x","retcode":"0","result":{"phonetoken":"t","phonenum":"79999","phonenum":"71001"}}`, "contract result_types"),

		// HTTP status.
		{Name: "HTTP 503", Status: 503, ContentType: "text/html", Body: "<html>503</html>", WantPhone: Phone, Verdict: "http 503"},
		{Name: "HTTP 405 with a success body", Status: 405, ContentType: ContentTypeMock, Body: OK, WantPhone: Phone, Verdict: "http 405"},
		{Name: "HTTP 201 with a success body", Status: 201, ContentType: ContentTypeMock, Body: OK, WantPhone: Phone, Verdict: "http 201"},

		// The body is no envelope.
		c("empty body", "", "envelope truncated"),
		c("only white space", " \r\n\t", "envelope truncated"),
		c("truncated", OK[:40], "envelope truncated"),
		c("only an opening brace", "{", "envelope truncated"),
		c("trailing data", OK+" x", "envelope malformed"),
		c("a second object", OK+"{}", "envelope malformed"),
		c("an array", "["+OK+"]", "envelope malformed"),
		c("HTML", "<html>ok</html>", "envelope malformed"),
		c("syntax error", `{"message":"x",,"retcode":"0"}`, "envelope malformed"),
		c("no-break space before the object", "\u00a0"+OK, "envelope malformed"),
		c("retcode a number", `{"message":"x","retcode":0,"result":{"phonetoken":"t","phonenum":"71001"}}`, "envelope malformed"),
		c("retcode null", `{"message":"x","retcode":null,"result":{"phonetoken":"t","phonenum":"71001"}}`, "envelope malformed"),
		c("retcode missing", `{"message":"x","result":{"phonetoken":"t","phonenum":"71001"}}`, "envelope malformed"),
		c("retcode in another case", `{"message":"x","RETCODE":"0","result":{"phonetoken":"t","phonenum":"71001"}}`, "envelope malformed"),
		c("result an array", `{"message":"x","retcode":"0","result":[{"phonetoken":"t","phonenum":"71001"}]}`, "envelope malformed"),
		c("result a string", `{"message":"x","retcode":"0","result":"t"}`, "envelope malformed"),

		// A retcode other than "0".
		c("retcode 100-006", `{"message":"agent not signed in","retcode":"100-006","result":{}}`, "retcode 100-006"),
		c("retcode empty", `{"message":"x","retcode":""}`, `retcode ""`),
		c("retcode hostile", `{"message":"x","retcode":"a b\u0000c-very-long-retcode-text"}`, "retcode a_b_c-very-long-"),
		c("error with a result but no token", `{"message":"x","retcode":"100-006","result":{"phonenum":"71001"}}`, "retcode 100-006"),
		c("error with an empty token", `{"message":"x","retcode":"100-006","result":{"phonetoken":""}}`, "retcode 100-006"),
		c("error carrying a token", `{"message":"x","retcode":"100-006","result":{"phonetoken":"t","phonenum":"71001"}}`, "contract token_on_error"),
		c("error carrying a token, no message", `{"retcode":"000-003","result":{"phonetoken":"t"}}`, "contract token_on_error"),

		// The result.
		c("result missing", `{"message":"x","retcode":"0"}`, "contract no_result"),
		c("result null", `{"message":"x","retcode":"0","result":null}`, "contract no_result"),
		c("result empty", `{"message":"x","retcode":"0","result":{}}`, "contract empty_token"),
		c("phonetoken a number", `{"message":"x","retcode":"0","result":{"phonetoken":1,"phonenum":"71001"}}`, "contract result_types"),
		c("phonenum a number", `{"message":"x","retcode":"0","result":{"phonetoken":"t","phonenum":71001}}`, "contract result_types"),
		c("phonenum a number, token missing", `{"message":"x","retcode":"0","result":{"phonenum":71001}}`, "contract result_types"),
		c("phonetoken missing", `{"message":"x","retcode":"0","result":{"phonenum":"71001"}}`, "contract empty_token"),
		c("phonetoken null", `{"message":"x","retcode":"0","result":{"phonetoken":null,"phonenum":"71001"}}`, "contract empty_token"),
		c("phonetoken empty", `{"message":"x","retcode":"0","result":{"phonetoken":"","phonenum":"71001"}}`, "contract empty_token"),
		c("phonenum of another agent", `{"message":"x","retcode":"0","result":{"phonetoken":"t","phonenum":"79999"}}`, "contract wrong_phonenum"),
		c("phonenum missing", `{"message":"x","retcode":"0","result":{"phonetoken":"t"}}`, "contract wrong_phonenum"),
		c("phonenum null", `{"message":"x","retcode":"0","result":{"phonetoken":"t","phonenum":null}}`, "contract wrong_phonenum"),
		c("phonenum empty", `{"message":"x","retcode":"0","result":{"phonetoken":"t","phonenum":""}}`, "contract wrong_phonenum"),
		{Name: "phonenum empty for an agent of unknown number", Status: 200, ContentType: ContentTypeMock,
			Body: `{"message":"x","retcode":"0","result":{"phonetoken":"t","phonenum":""}}`, WantPhone: "", Verdict: "contract wrong_phonenum"},
		{Name: "phonenum missing for an agent of unknown number", Status: 200, ContentType: ContentTypeMock,
			Body: `{"message":"x","retcode":"0","result":{"phonetoken":"t"}}`, WantPhone: "", Verdict: "contract wrong_phonenum"},
		c("phonenum with a suffix", `{"message":"x","retcode":"0","result":{"phonetoken":"t","phonenum":"710011"}}`, "contract wrong_phonenum"),

		// Several problems: the first in judging order is the verdict.
		{Name: "HTTP 500 before a broken body", Status: 500, ContentType: "text/plain", Body: "{", WantPhone: Phone, Verdict: "http 500"},
		c("envelope before the retcode", `{"retcode":"100-006","message":1}`, "envelope malformed"),
		{Name: "Content-Type before message", Status: 200, ContentType: "text/plain", Body: `{"retcode":"0","result":{"phonetoken":"t","phonenum":"71001"}}`, WantPhone: Phone, Verdict: "contract content_type"},
		c("message before result", `{"retcode":"0"}`, "contract no_message"),
		c("result types before the token", `{"message":"x","retcode":"0","result":{"phonetoken":"","phonenum":1}}`, "contract result_types"),
		c("token before phonenum", `{"message":"x","retcode":"0","result":{"phonetoken":"","phonenum":"79999"}}`, "contract empty_token"),
	}
	return cases
}
