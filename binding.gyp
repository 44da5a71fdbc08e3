{
  "targets": [
    {
      "target_name": "tunppp",
      "defines": ["NAPI_VERSION=8"],
      "cflags": ["-std=gnu11", "-Wall", "-Wextra", "-Wno-unused-parameter", "-O2", "-fvisibility=hidden"],
      "conditions": [
        ["OS=='linux'", {
          "sources": ["native/addon.c", "native/util.c", "native/handle.c", "native/sock.c", "native/gre.c", "native/udp.c", "native/tun.c", "native/crypto.c", "native/csum.c"]
        }, {
          "sources": ["native/unsupported.c"]
        }]
      ]
    }
  ]
}
