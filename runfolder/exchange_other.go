//go:build !linux

package runfolder

// exchange reports that this platform cannot swap two folders atomically; Publish then moves the
// previous model aside first.
func exchange(a, b string) error { return errNoExchange }
