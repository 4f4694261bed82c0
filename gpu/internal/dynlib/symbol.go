package dynlib

import "fmt"

// Symbol returns the address of the exported symbol name: for libraries whose handles are the
// addresses of global objects rather than functions (Open MPI's MPI_COMM_WORLD is
// &ompi_mpi_comm_world). A missing symbol wraps ErrUnavailable, as in Func.
func (l *Lib) Symbol(name string) (uintptr, error) {
	sym, err := dlsym(l.handle, name)
	if err != nil || sym == 0 {
		return 0, fmt.Errorf("%w: %s has no symbol %s", ErrUnavailable, l.Path, name)
	}
	return sym, nil
}
