package backend_test

import (
	"fmt"
	"os"

	"github.com/gometric/gometric/backend"
)

func Example() {
	os.Unsetenv(backend.EnvVar)
	fmt.Println(backend.Config())
	b, err := backend.New("")
	if err != nil {
		panic(err)
	}
	fmt.Println(b.Name() != "")
	// Output:
	// go
	// true
}
