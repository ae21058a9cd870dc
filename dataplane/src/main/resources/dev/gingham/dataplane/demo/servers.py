# The demo's and end-to-end tests' servers, run inside pod and host network namespaces with the
# system python3 (no packages). Every server says who it is and whom it saw, so the client side
# can tell which backend answered and which source address reached it.
#   servers.py http NAME PORT       HTTP/1.1: any GET answers "NAME saw CLIENT_IP\n"
#   servers.py udp-echo NAME PORT   UDP: each datagram answered with "NAME saw CLIENT_IP: DATA"
#   servers.py tcp-hello NAME PORT  TCP: each connection gets "NAME saw CLIENT_IP\n", then closed
import http.server
import socket
import socketserver
import sys

mode, name, port = sys.argv[1], sys.argv[2], int(sys.argv[3])


class Hello(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = ("%s saw %s\n" % (name, self.client_address[0])).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    allow_reuse_address = True
    daemon_threads = True


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
