package results

import (
	"bufio"
	"container/heap"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"ccgw-harness/gateway"
)

// readBuffer is the read buffer size of a results file.
const readBuffer = 256 << 10

// Sink receives the results a reader reads: a reports.Aggregator is one.
type Sink interface {
	// Add takes one whole result. The reader reuses r once Add returns.
	Add(r *vegeta.Result)
	// MarkPartial is called, once all is read, when a file ended inside a
	// result.
	MarkPartial()
}

// ReadFiles streams vegeta results into s from each of paths, which is a
// run's directory or a results file (gob as the load engine writes them;
// also vegeta's csv and json encodings). A run's directory is read as its
// ResultsFile and, when there, its CallsFile; so is a file named
// ResultsFile with a CallsFile beside it (the run's record is the pair),
// unless that CallsFile is itself one of paths. Several files are merged
// in timestamp order (a k-way merge holding one result per file). A file
// that ends inside a result (a run killed with -9) is read up to its last
// whole result: partial is then true and s is marked partial; that is not
// an error. Errors name the file. n counts the results added, of every
// file.
func ReadFiles(s Sink, paths ...string) (n int, partial bool, err error) {
	n, partial, err = readInto(s, paths...)
	if partial {
		s.MarkPartial()
	}
	return n, partial, err
}

// FileStats is what ReadFilesEach read for one of its paths.
type FileStats struct {
	Path string // as given
	// Results counts the whole results read from the path's results file
	// (a run's ResultsFile: its measured requests).
	Results int
	// Calls counts the whole results read from the run's CallsFile (0 when
	// none was read).
	Calls   int
	Partial bool // a file of the path ends inside a result
	// FirstSend is the earliest send time of the results file's results
	// (zero when none).
	FirstSend time.Time
}

// ReadFilesEach is ReadFiles that also says what it read for each of
// paths, in their order (the shards of a distributed run, for the merged
// report).
func ReadFilesEach(s Sink, paths ...string) ([]FileStats, error) {
	_, partial, stats, err := readIntoEach(s, paths...)
	if partial {
		s.MarkPartial()
	}
	return stats, err
}

// input is one path given to ReadFiles and the files read for it.
type input struct {
	path    string
	results string // the results file
	calls   string // the run's CallsFile read with it ("" for none)
}

// inputsOf resolves the paths given to ReadFiles into the files to read.
func inputsOf(paths []string) ([]input, error) {
	named := map[string]bool{}
	for _, p := range paths {
		named[absPath(p)] = true
	}
	ins := make([]input, 0, len(paths))
	for _, p := range paths {
		in := input{path: p, results: p}
		if st, err := os.Stat(p); err == nil && st.IsDir() {
			in.results = filepath.Join(p, ResultsFile)
			if st, err := os.Stat(in.results); err != nil || st.IsDir() {
				return nil, fmt.Errorf("%s: is a directory, not a results file, and holds no %s: not a run's directory", p, ResultsFile)
			}
		}
		if filepath.Base(in.results) == ResultsFile {
			c := filepath.Join(filepath.Dir(in.results), CallsFile)
			if st, err := os.Stat(c); err == nil && st.Mode().IsRegular() && !named[absPath(c)] {
				in.calls = c
			}
		}
		ins = append(ins, in)
	}
	return ins, nil
}

// absPath is p made absolute and clean (p itself if that fails), to
// compare paths.
func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return filepath.Clean(p)
}

// adder receives results (a Sink less its MarkPartial).
type adder interface{ Add(*vegeta.Result) }

// batchSize is how many results the decoding goroutine hands over at once.
const batchSize = 512

// batch is a slab of results passed from the decoder to the aggregator.
type batch struct {
	rs []vegeta.Result
	n  int
}

// readInto decodes (and merges) the files in one goroutine while the
// calling goroutine adds the results to a, in timestamp-merged order.
func readInto(a adder, paths ...string) (n int, partial bool, err error) {
	n, partial, _, err = readIntoEach(a, paths...)
	return n, partial, err
}

// readIntoEach is readInto that also returns each file's FileStats.
func readIntoEach(a adder, paths ...string) (n int, partial bool, stats []FileStats, err error) {
	ins, err := inputsOf(paths)
	if err != nil {
		return 0, false, nil, err
	}
	srcs := make([]*source, 0, 2*len(ins))
	defer func() {
		for _, s := range srcs {
			s.f.Close()
		}
	}()
	// of[i] is the input of srcs[i]; calls[i] says it is the input's CallsFile.
	of := make([]int, 0, 2*len(ins))
	calls := make([]bool, 0, 2*len(ins))
	for i, in := range ins {
		for _, p := range []string{in.results, in.calls} {
			if p == "" {
				continue
			}
			s, err := openSource(p)
			if err != nil {
				return 0, false, nil, err
			}
			srcs = append(srcs, s)
			of, calls = append(of, i), append(calls, p == in.calls)
		}
	}

	const slabs = 3
	full := make(chan *batch, slabs)
	free := make(chan *batch, slabs)
	for range slabs {
		free <- &batch{rs: make([]vegeta.Result, batchSize)}
	}
	var decErr error
	go func() {
		defer close(full) // after decErr is set: the range below sees it
		decErr = decodeAll(srcs, full, free)
	}()
	for b := range full {
		for i := range b.n {
			a.Add(&b.rs[i])
		}
		n += b.n
		b.n = 0
		free <- b
	}
	stats = make([]FileStats, len(ins))
	for i, in := range ins {
		stats[i].Path = in.path
	}
	for i, s := range srcs {
		partial = partial || s.partial
		st := &stats[of[i]]
		st.Partial = st.Partial || s.partial
		switch {
		case calls[i]:
			st.Calls = s.count
		default:
			st.Results = s.count
			if s.measured {
				st.FirstSend = time.Unix(0, s.minNS).UTC()
			}
		}
	}
	return n, partial, stats, decErr
}

// decodeAll decodes the sources, merging them by timestamp (a k-way merge
// holding one result per source), into batches taken from free and sent to
// full.
func decodeAll(srcs []*source, full chan<- *batch, free <-chan *batch) error {
	b := <-free
	// emit moves a source's current result into the batch, handing the
	// slot's old result (and its header map) back to the source for reuse.
	emit := func(s *source) {
		b.rs[b.n], s.res = s.res, b.rs[b.n]
		b.n++
		if b.n == len(b.rs) {
			full <- b
			b = <-free
		}
	}
	defer func() {
		if b.n > 0 {
			full <- b
		}
	}()
	var h sourceHeap
	for _, s := range srcs {
		ok, err := s.next()
		if err != nil {
			return err
		}
		if ok {
			h = append(h, s)
		}
	}
	if len(h) == 1 { // one file: no merging
		s := h[0]
		for {
			emit(s)
			if ok, err := s.next(); err != nil || !ok {
				return err
			}
		}
	}
	heap.Init(&h)
	for len(h) > 0 {
		s := h[0]
		emit(s)
		ok, err := s.next()
		if err != nil {
			return err
		}
		if ok {
			heap.Fix(&h, 0)
		} else {
			heap.Pop(&h)
		}
	}
	return nil
}

// source is one results file being read.
type source struct {
	path     string
	f        *os.File
	dec      vegeta.Decoder
	gob      bool
	res      vegeta.Result // the current result, reused
	ns       int64         // its timestamp
	minNS    int64         // the earliest timestamp of a measured result
	measured bool          // a measured (top-level) result was read
	count    int
	partial  bool
}

func openSource(path string) (*source, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	s := &source{path: path, f: f}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if st.IsDir() {
		f.Close()
		return nil, fmt.Errorf("%s: is a directory, not a results file", path)
	}
	size := st.Size()
	if size == 0 {
		return s, nil // no results (yet)
	}
	var first [1]byte
	if _, err := f.ReadAt(first[:], 0); err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	c := first[0]
	if c == '{' || c == '-' || (c >= '0' && c <= '9') {
		// json or csv: one result a line. A file that does not end with a
		// newline was cut inside its last result: read up to the last newline.
		end, err := lastNewline(f, size)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		s.partial = end < size
		s.dec = vegeta.DecoderFor(bufio.NewReaderSize(io.NewSectionReader(f, 0, end), readBuffer))
		if s.dec == nil && end > 0 {
			f.Close()
			return nil, fmt.Errorf("%s: not a vegeta results file (gob, json or csv)", path)
		}
		return s, nil
	}
	var head [32]byte
	k, err := f.ReadAt(head[:], 0)
	if err != nil && err != io.EOF {
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if !gobResultsStart(head[:k]) {
		f.Close()
		return nil, fmt.Errorf("%s: not a vegeta results file (gob, json or csv)", path)
	}
	s.gob = true
	s.dec = vegeta.NewDecoder(bufio.NewReaderSize(f, readBuffer))
	return s, nil
}

// gobResultDef is what follows the length and type ID of the first message
// of every vegeta gob results stream: the definition of struct type
// "Result" (wireType.StructT, CommonType.Name, then the start of its ID).
// Type IDs depend on the writing program; these bytes do not.
const gobResultDef = "\x03\x01\x01\x06Result\x01"

// gobResultsStart reports whether b, the first bytes of a file, can start a
// vegeta gob results stream (or one cut short): a message length, a
// negative type ID (a type definition), then gobResultDef. Without this a
// file of junk reads as a gob stream cut inside its first message: an
// empty, truncated results file instead of an error.
func gobResultsStart(b []byte) bool {
	_, b, st := gobUint(b) // the message length
	if st != gobOK {
		return st == gobCut
	}
	id, b, st := gobUint(b) // the type ID, signed: odd is negative
	if st != gobOK {
		return st == gobCut
	}
	if id&1 == 0 {
		return false // a value, not a type definition: not a stream's start
	}
	n := min(len(b), len(gobResultDef))
	return string(b[:n]) == gobResultDef[:n]
}

// States of gobUint.
const (
	gobOK  = iota // read
	gobCut        // b ends inside the integer
	gobBad        // not a gob unsigned integer
)

// gobUint reads one gob unsigned integer at the start of b: one byte below
// 0x80, else a negated byte count (1 to 8) and that many big-endian bytes.
func gobUint(b []byte) (v uint64, rest []byte, state int) {
	if len(b) == 0 {
		return 0, nil, gobCut
	}
	if b[0] < 0x80 {
		return uint64(b[0]), b[1:], gobOK
	}
	n := int(-int8(b[0]))
	if n < 1 || n > 8 {
		return 0, nil, gobBad
	}
	if len(b) < 1+n {
		return 0, nil, gobCut
	}
	for _, c := range b[1 : 1+n] {
		v = v<<8 | uint64(c)
	}
	return v, b[1+n:], gobOK
}

// lastNewline returns the offset just after the last '\n' of f (0 if none).
func lastNewline(f *os.File, size int64) (int64, error) {
	buf := make([]byte, 64<<10)
	for end := size; end > 0; {
		start := max(end-int64(len(buf)), 0)
		b := buf[:end-start]
		if _, err := f.ReadAt(b, start); err != nil && err != io.EOF {
			return 0, err
		}
		for i := len(b) - 1; i >= 0; i-- {
			if b[i] == '\n' {
				return start + int64(i) + 1, nil
			}
		}
		end = start
	}
	return 0, nil
}

// next decodes the source's next result into s.res; false at the end.
func (s *source) next() (bool, error) {
	if s.dec == nil {
		return false, nil
	}
	// Decoders leave fields absent from the input untouched: reset them,
	// keeping the header map for reuse.
	hdr := s.res.Headers
	clear(hdr)
	s.res = vegeta.Result{Headers: hdr}
	err := s.dec.Decode(&s.res)
	switch {
	case err == nil:
		s.count++
		s.ns = s.res.Timestamp.UnixNano()
		if (!s.measured || s.ns < s.minNS) && IsTopLevel(gateway.CallOf(s.res.Method, s.res.URL)) {
			s.minNS, s.measured = s.ns, true
		}
		s.res.Body = nil // never kept, never printed
		return true, nil
	case err == io.EOF:
		s.dec = nil
		return false, nil
	case s.gob && errors.Is(err, io.ErrUnexpectedEOF):
		s.dec, s.partial = nil, true
		return false, nil
	}
	s.dec = nil
	return false, fmt.Errorf("%s: result %d: %w", s.path, s.count+1, err)
}

// sourceHeap orders sources by the timestamp of their current result.
type sourceHeap []*source

// Len implements heap.Interface.
func (h sourceHeap) Len() int { return len(h) }

// Less implements heap.Interface: earlier timestamp first.
func (h sourceHeap) Less(i, j int) bool { return h[i].ns < h[j].ns }

// Swap implements heap.Interface.
func (h sourceHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }

// Push implements heap.Interface.
func (h *sourceHeap) Push(x any) { *h = append(*h, x.(*source)) }

// Pop implements heap.Interface.
func (h *sourceHeap) Pop() any {
	old := *h
	s := old[len(old)-1]
	*h = old[:len(old)-1]
	return s
}
