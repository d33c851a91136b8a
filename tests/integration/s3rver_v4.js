// The S3 server of the integration tests: @20minutes/s3rver (a maintained fork of
// s3rver) verifies AWS Signature V4 — a wrong secret key gets SignatureDoesNotMatch —
// where s3rver 3.7.1 accepts any V4 signature. Its package has no command of its own.
// usage: node s3rver_v4.js DIR ADDRESS PORT BUCKET [CERT KEY]   (credentials S3RVER/S3RVER)
'use strict'
const fs = require('node:fs')
const S3rver = require('@20minutes/s3rver')
const [dir, address, port, bucket, cert, key] = process.argv.slice(2)
fs.mkdirSync(dir, { recursive: true })
// serviceEndpoint: virtual-hosted requests to <bucket>.s3.localhost (curl resolves
// every *.localhost name to loopback) find their bucket.
const opts = {
  directory: dir,
  address,
  port: Number(port),
  silent: true,
  serviceEndpoint: 'localhost',
  configureBuckets: [{ name: bucket }],
}
if (cert) {
  opts.cert = fs.readFileSync(cert)
  opts.key = fs.readFileSync(key)
}
new S3rver(opts).run().then(
  (a) => console.log('s3rver listening on %s:%d', a.address, a.port),
  (e) => {
    console.error(e)
    process.exit(1)
  }
)
