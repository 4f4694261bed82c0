package dist

// singleProcess is a world of one rank: an all-reduce over one buffer is that buffer (its sum and
// its mean), and a broadcast from rank 0 to itself copies nothing.
type singleProcess struct{}

// SingleProcess returns the communicator of a process that trains alone.
func SingleProcess() Comm { return singleProcess{} }

func (singleProcess) Rank() int { return 0 }
func (singleProcess) Size() int { return 1 }

func (singleProcess) AllReduceFloat32(buf []float32, op Op) error { return checkOp(op) }
func (singleProcess) AllReduceFloat64(buf []float64, op Op) error { return checkOp(op) }

func (singleProcess) Broadcast(buf []byte, root int) error { return checkRoot(root, 1) }

func (singleProcess) Barrier() error { return nil }
func (singleProcess) Close() error   { return nil }
func (singleProcess) String() string { return "single process (rank 0 of 1)" }
