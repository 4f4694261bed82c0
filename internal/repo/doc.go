// Package repo finds zebra's own files from wherever a test or tool runs: the repository's root
// (the folder of its go.mod) and the full horse2zebra dataset kept beside it on development
// machines, which tests skip without.
package repo
