package agents_test

import "ccgw-harness/load/loadtest"

// testPassword is the agents' password on the test mocks.
const testPassword = "load-test-pw"

// firstAgent is the first agent ID of the test targets.
const firstAgent = loadtest.FirstAgent
