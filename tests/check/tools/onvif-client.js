// seecitv
// SPDX-License-Identifier: LGPL-2.1-or-later
//
// A real ONVIF client against seecitv-serve (tests/check/tools/
// seecitv-serve_onvif.c, npm test): the npm package `onvif` (0.8.3, as
// Shinobi uses it) connects with the credentials, reads the device
// information, the profiles and each profile's stream and snapshot URIs,
// and prints them one per line, or `error: ...` and exits 1.
// Usage: node onvif-client.js MODULE_DIR HOST PORT USER PASSWORD
'use strict';
const [moduleDir, hostname, port, username, password] = process.argv.slice(2);
const { Cam } = require(require('path').resolve(moduleDir, 'onvif'));

function fail(what, err) {
  console.log('error: ' + what + ': ' + (err && err.message ? err.message : err));
  process.exit(1);
}

const cam = new Cam({ hostname, port: Number(port), username, password,
  timeout: 10000 }, function (err) {
  if (err) fail('connect', err);
  this.getDeviceInformation((err, info) => {
    if (err) fail('GetDeviceInformation', err);
    console.log('model: ' + info.model);
    console.log('profiles: ' + this.profiles.length);
    let left = this.profiles.length;
    this.profiles.forEach((p) => {
      this.getStreamUri({ protocol: 'RTSP', profileToken: p.$.token },
        (err, stream) => {
          if (err) fail('GetStreamUri', err);
          console.log('stream ' + p.$.token + ': ' + stream.uri);
          this.getSnapshotUri({ profileToken: p.$.token }, (err, snap) => {
            if (err) fail('GetSnapshotUri', err);
            console.log('snapshot ' + p.$.token + ': ' + snap.uri);
            if (--left === 0) process.exit(0);
          });
        });
    });
  });
});
cam.on('error', (err) => fail('cam', err));
