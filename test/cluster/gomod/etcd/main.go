// Command etcd is the upstream etcd server: the same one-line main as go.etcd.io/etcd/v3's main.go,
// built against go.etcd.io/etcd/server/v3 so the binary comes from the module proxy like the others.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
