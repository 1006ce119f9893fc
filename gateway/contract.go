package gateway

import (
	"strconv"
	"time"
)

// DefaultPort is the gateway's documented HTTPS port (single node or NSLB).
const DefaultPort = 8043

// PathPrefix is the prefix of every agent-interface path.
const PathPrefix = "/agentgateway/resource"

// Header names and values the documentation prescribes.
const (
	// HeaderGuid carries the agent's session Guid on every call after sign-in.
	HeaderGuid = "Guid"
	// HeaderSetGuid carries a new Guid (`JSESSIONID=<guid>`) on sign-in and on
	// the event poll that rotates it.
	HeaderSetGuid = "Set-GUID"
	// HeaderContentType is the standard Content-Type header name.
	HeaderContentType = "Content-Type"
	// ContentTypeJSON is the documented request Content-Type.
	ContentTypeJSON = "application/json; charset=UTF-8"
)

// Documented session timings (gateway settings GUIDINTERVAL, GUIDTIMEOUT and
// the idle sign-out when an agent stops polling events).
const (
	DefaultGuidInterval = 60 * time.Second
	DefaultGuidTimeout  = 120 * time.Second
	DefaultIdleTimeout  = 120 * time.Second
	// DefaultPollWait is how long an idle event long-poll is held open.
	DefaultPollWait = 10 * time.Second
)

// AuthMode is the gateway's AUTHMODE setting.
type AuthMode string

// The two authentication modes.
const (
	// AuthStatic (AUTHMODE=1, old sites): the sign-in Guid stays valid.
	AuthStatic AuthMode = "static"
	// AuthDynamic (AUTHMODE=2, the default): the Guid rotates every
	// GUIDINTERVAL and the old one dies after GUIDTIMEOUT.
	AuthDynamic AuthMode = "dynamic"
)

// ParseAuthMode accepts "static" or "dynamic" (also the gateway's numeric
// forms "1" and "2").
func ParseAuthMode(s string) (AuthMode, error) {
	switch s {
	case "static", "1":
		return AuthStatic, nil
	case "dynamic", "2":
		return AuthDynamic, nil
	}
	return "", &ParseError{What: "auth mode", Input: s, Allowed: "static or dynamic"}
}

func agentPath(agentID string) string { return PathPrefix + "/onlineagent/" + agentID }

// SignInPath is `PUT /agentgateway/resource/onlineagent/{agentid}`.
func SignInPath(agentID int) string { return agentPath(strconv.Itoa(agentID)) }

// ForceLoginPath is `PUT .../onlineagent/{agentid}/forcelogin`.
func ForceLoginPath(agentID int) string { return agentPath(strconv.Itoa(agentID)) + "/forcelogin" }

// LoginInfoPath is `POST .../onlineagent/{agentid}/logininfo`.
func LoginInfoPath(agentID int) string { return LoginInfoPathRaw(strconv.Itoa(agentID)) }

// LoginInfoPathRaw is LoginInfoPath for an agent-ID segment taken verbatim,
// for probes that send malformed IDs on purpose.
func LoginInfoPathRaw(agentID string) string { return agentPath(agentID) + "/logininfo" }

// LogoutPath is `DELETE .../onlineagent/{agentid}/logout`.
func LogoutPath(agentID int) string { return agentPath(strconv.Itoa(agentID)) + "/logout" }

// UpdateGuidPath is `PUT .../onlineagent/{agentid}/updateGuid`.
func UpdateGuidPath(agentID int) string { return agentPath(strconv.Itoa(agentID)) + "/updateGuid" }

// EventPath is `GET /agentgateway/resource/agentevent/{agentid}` (long poll).
func EventPath(agentID int) string { return PathPrefix + "/agentevent/" + strconv.Itoa(agentID) }

// Documented limits of the sign-in body.
const (
	MaxPasswordLen = 32
	MaxPhoneNumLen = 24
)

// Agent states accepted by sign-in's optional `status`.
const (
	StatusBusy   = 3
	StatusIdle   = 4
	StatusWrapUp = 5
)

// Agent types accepted by sign-in's optional `agenttype`.
const (
	AgentTypePCPhone = 4
	AgentTypeVideo   = 11
)
