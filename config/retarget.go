package config

import (
	"bytes"
	"fmt"
	"path/filepath"

	"go.yaml.in/yaml/v3"
)

// RetargetURL returns the targets file data (path names it in errors) with
// the block of target t, read from it, replaced by a url target reaching
// the same gateway at url: its certificate trusted from caFile, the agents'
// password read from the environment variable passwordEnv, every other
// setting of t (session timings, agents, safety rails) as t has it, and
// the rest of the file (plans, objectives, other targets) as it is. An
// agents file is named by its absolute path. ccgw shards points its shards
// at the one embedded mock it started this way.
func RetargetURL(path string, data []byte, t *Target, url, caFile, passwordEnv string) ([]byte, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	node, err := urlTargetNode(t, url, caFile, passwordEnv)
	if err != nil {
		return nil, err
	}
	if !replaceTarget(&doc, t.Name, node) {
		return nil, fmt.Errorf("%s: target %s not found under targets", path, t.Name)
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// urlTargetNode is the targets.yaml block of a url target with t's
// settings.
func urlTargetNode(t *Target, url, caFile, passwordEnv string) (*yaml.Node, error) {
	agents := map[string]any{
		"ids":          FormatIDs(t.Agents.IDs),
		"password_env": passwordEnv,
	}
	if t.Agents.PhonenumPrefix != "" {
		agents["phonenum_prefix"] = t.Agents.PhonenumPrefix
	}
	if t.Agents.File != "" {
		abs, err := filepath.Abs(t.Agents.File)
		if err != nil {
			return nil, err
		}
		agents["file"] = abs
	}
	m := map[string]any{
		"url":            url,
		"tls":            map[string]any{"ca_file": caFile},
		"auth_mode":      string(t.AuthMode),
		"guid_interval":  t.GuidInterval.String(),
		"guid_timeout":   t.GuidTimeout.String(),
		"idle_timeout":   t.IdleTimeout.String(),
		"poll_wait":      t.PollWait.String(),
		"agent_id_range": []int{t.AgentIDRange.Min, t.AgentIDRange.Max},
		"agents":         agents,
		"allow_load":     t.AllowLoad,
		"production":     t.Production,
		"force_login":    t.ForceLogin,
	}
	if t.MaxRate > 0 {
		m["max_rate"] = t.MaxRate
	}
	var n yaml.Node
	if err := n.Encode(m); err != nil {
		return nil, err
	}
	return &n, nil
}

// replaceTarget puts node in place of target name's block in doc.
func replaceTarget(doc *yaml.Node, name string, node *yaml.Node) bool {
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return false
	}
	top := doc.Content[0]
	for i := 0; i+1 < len(top.Content); i += 2 {
		if top.Content[i].Value != "targets" || top.Content[i+1].Kind != yaml.MappingNode {
			continue
		}
		ts := top.Content[i+1]
		for k := 0; k+1 < len(ts.Content); k += 2 {
			if ts.Content[k].Value == name {
				ts.Content[k+1] = node
				return true
			}
		}
	}
	return false
}
