// Package agents is the load run's agents as a gateway sees them: many
// agent clients, each signed in with its own session and Guid. A Pool signs
// them in with bounded concurrency (forced sign-in after 100-002 when the
// target allows it), re-signs in an agent whose session the gateway lost
// (gateway.SessionGone), and signs every one out at the end, on every path.
// A KeepAlive polls their events as a real client does, following each
// Set-GUID, so their sessions and Guids stay valid for as long as the run
// lasts; a Targeter hands out their current Guids to an attack without
// allocating.
//
// Every answer to an agent is judged for that agent: a Judge turns an
// attack's logininfo result into the results-file form (the contract
// oracle's verdict behind an allocation-free fast path, the gateway node
// and the lag against the attack's schedule), and Calls turns the agents'
// own calls (sign-in, event polls, sign-out) into results the same way.
// Neither writes anything: results go to a Record the caller gives (the
// load engine's recorder), and a verdict saying the session is gone goes
// back to the pool (Pool.Feedback).
//
// No Guid, token or password is ever logged or put in an error.
package agents
