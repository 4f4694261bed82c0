package serve

import (
	_ "embed" // for the page
	"net/http"
)

// page is the web page GET / answers: plain HTML, CSS and JavaScript in one file, with no build
// step and nothing fetched from elsewhere, so that it works offline. It asks /v1/info for the
// directions, and posts the chosen image to /v1/translate.
//
//go:embed page.html
var page []byte

func (s *Server) handlePage(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" {
		writeError(w, http.StatusNotFound, "no such page %s: the API is POST /v1/translate, GET /v1/info, /healthz and /metrics", r.URL.Path)
		return
	}
	if !allowMethod(w, r, http.MethodGet) {
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	// The page runs only its own inline script and loads images from blob: URLs it makes.
	w.Header().Set("Content-Security-Policy", "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src 'self' blob:")
	w.Write(page)
}
