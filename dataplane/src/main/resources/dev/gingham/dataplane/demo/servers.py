# The demo's and end-to-end tests' servers (and one UDP client), run inside pod and external
# network namespaces with the system python3 (no packages). Every server says who it is and whom
# it saw, so the client side can tell which backend answered and which source address reached it.
#   servers.py http NAME PORT       HTTP/1.0: GET / answers "NAME saw CLIENT_IP\n";
#                                   GET /bytes/N answers N random bytes, with their SHA-256 in the
#                                   X-Content-Sha256 header (what the server sent, to compare with
#                                   what the client received) and NAME in X-Served-By
#   servers.py udp-echo NAME PORT   UDP: each datagram answered with "NAME saw CLIENT_IP: DATA"
#   servers.py tcp-hello NAME PORT  TCP: each connection gets "NAME saw CLIENT_IP\n", then closed
#   servers.py tcp-ask HOST PORT    TCP client: connects, prints what the server sent; exit 1 with the
#                                   kernel's error ("refused: [Errno 111] Connection refused") when
#                                   the connection fails or nothing comes within 2 s
#   servers.py udp-ask HOST PORT TEXT
#                                   UDP client: sends TEXT, prints the answer (accepted only from
#                                   HOST:PORT); exit 1 and a message when none comes within 2 s
import hashlib
import http.server
import os
import socket
import socketserver
import sys

MAX_BYTES = 256 * 1024 * 1024


class Hello(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path.startswith("/bytes/"):
            count = int(self.path[len("/bytes/"):])
            if count < 0 or count > MAX_BYTES:
                self.send_error(400, "bytes must be 0..%d" % MAX_BYTES)
                return
            body = os.urandom(count)
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("X-Content-Sha256", hashlib.sha256(body).hexdigest())
        else:
            body = ("%s saw %s\n" % (name, self.client_address[0])).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
        self.send_header("X-Served-By", name)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    allow_reuse_address = True
    daemon_threads = True


mode = sys.argv[1]
if mode == "udp-ask":
    host, port, text = sys.argv[2], int(sys.argv[3]), sys.argv[4]
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2)
    s.connect((host, port))  # a connected socket takes answers from HOST:PORT only
    s.send(text.encode())
    try:
        data = s.recv(65535)
    except socket.timeout:
        sys.exit("no answer from %s:%d within 2 s" % (host, port))
    except ConnectionRefusedError:
        sys.exit("%s:%d refused: ICMP port unreachable" % (host, port))
    print(data.decode(errors="replace"))
    sys.exit(0)

if mode == "tcp-ask":
    host, port = sys.argv[2], int(sys.argv[3])
    try:
        c = socket.create_connection((host, port), timeout=2)
        print(c.recv(65535).decode(errors="replace"), end="")
    except ConnectionRefusedError as e:
        sys.exit("refused: %s" % e)
    except OSError as e:
        sys.exit("failed: %s" % e)
    sys.exit(0)

name, port = sys.argv[2], int(sys.argv[3])
if mode == "http":
    Server(("0.0.0.0", port), Hello).serve_forever()
elif mode == "udp-echo":
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", port))
    while True:
        data, peer = s.recvfrom(65535)
        s.sendto(("%s saw %s: " % (name, peer[0])).encode() + data, peer)
elif mode == "tcp-hello":
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port))
    s.listen(64)
    while True:
        c, peer = s.accept()
        c.sendall(("%s saw %s\n" % (name, peer[0])).encode())
        c.close()
else:
    sys.exit("unknown mode " + mode)
