// The tutorial gateway on a plain Node socket.io server: `joinRoom {roomName, nickName}` joins
// the room; `sendMessage {room, nickName, message}` is emitted as `message {nickName, message}`
// to everyone in the room, the sender included. Joins are acked when the client asks (a NestJS
// handler's return value does the same), so the load generator knows when it is in.
//
// Usage: node server.js [--port N] [--bind ADDR]   prints `listening on http://ADDR:PORT`.
'use strict';

const http = require('node:http');
const { Server } = require('socket.io');

function arg(name, fallback) {
  const i = process.argv.indexOf(name);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const port = Number(arg('--port', '0'));
const bind = arg('--bind', '127.0.0.1');

const httpServer = http.createServer();
const io = new Server(httpServer);

io.on('connection', (socket) => {
  socket.on('joinRoom', (payload, ack) => {
    socket.join(payload.roomName);
    socket.data.nickName = payload.nickName;
    if (typeof ack === 'function') ack({ ok: true });
  });
  socket.on('sendMessage', (payload) => {
    io.to(payload.room).emit('message', { nickName: payload.nickName, message: payload.message });
  });
});

httpServer.listen(port, bind, () => {
  const a = httpServer.address();
  console.log(`listening on http://${a.address}:${a.port}`);
});

process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
