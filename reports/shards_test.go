package reports

import (
	"encoding/json"
	"testing"

	"ccgw-harness/results"
)

// TestMergedShardsReadsTheOldArray: report.json of earlier versions held
// the shards' list as an array; it still reads, as the object's list.
func TestMergedShardsReadsTheOldArray(t *testing.T) {
	var r Report
	if err := json.Unmarshal([]byte(`{"shards":[{"index":0,"dir":"a","requests":3},{"index":1,"dir":"b","requests":4}]}`), &r); err != nil {
		t.Fatal(err)
	}
	if r.Shards == nil || r.Shards.Count != 2 || len(r.Shards.List) != 2 || r.Shards.List[1].Requests != 4 {
		t.Errorf("old shards array: %+v", r.Shards)
	}
	b, _ := json.Marshal(&Report{Shards: &results.MergedShards{Count: 3, StartSkewMS: 4.5, Missing: []int{2}, List: []results.MergedShard{{Index: 0}}}})
	var back Report
	if err := json.Unmarshal(b, &back); err != nil || back.Shards.StartSkewMS != 4.5 || back.Shards.Missing[0] != 2 || back.Shards.Count != 3 {
		t.Errorf("shards object round trip: %+v, %v\n%s", back.Shards, err, b)
	}
}
