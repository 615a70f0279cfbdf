package clitest

import "fmt"

// Must panics on err (test fixtures only).
func Must(err error) {
	if err != nil {
		panic(fmt.Sprint("fixture: ", err))
	}
}
