# A long TCP transfer for the restart test, with the system python3 (no packages).
#   stream.py sink NAME PORT REPORTDIR
#       TCP server: for each connection, reads until EOF, counts the bytes and hashes them, writes
#       REPORTDIR/NAME-PEERPORT.txt ("NAME PEERIP PEERPORT BYTES SHA256") and answers "BYTES SHA256\n".
#   stream.py send HOST PORT STOPFILE
#       TCP client: sends numbered 100-byte lines (about 40 KB/s) until STOPFILE exists, then closes
#       its sending side and prints "sent BYTES SHA256 reply BYTES SHA256"; "ERROR ..." and exit 1
#       when the connection fails (a reset, a timeout).
import hashlib
import os
import socket
import sys
import threading
import time


def sink(name, port, report_dir):
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("0.0.0.0", port))
    listener.listen(16)
    while True:
        connection, peer = listener.accept()
        threading.Thread(target=serve, args=(connection, peer, name, report_dir), daemon=True).start()


def serve(connection, peer, name, report_dir):
    digest = hashlib.sha256()
    count = 0
    try:
        while True:
            data = connection.recv(65536)
            if not data:
                break
            digest.update(data)
            count += len(data)
        line = "%s %s %d %d %s\n" % (name, peer[0], peer[1], count, digest.hexdigest())
        with open(os.path.join(report_dir, "%s-%d.txt" % (name, peer[1])), "w") as report:
            report.write(line)
        connection.sendall(("%d %s\n" % (count, digest.hexdigest())).encode())
    except OSError as e:
        with open(os.path.join(report_dir, "%s-%d.txt" % (name, peer[1])), "w") as report:
            report.write("%s %s %d ERROR %s\n" % (name, peer[0], peer[1], e))
    finally:
        connection.close()


def send(host, port, stop_file):
    digest = hashlib.sha256()
    count = 0
    line = 0
    try:
        connection = socket.create_connection((host, port), timeout=10)
        connection.settimeout(120)
        while not os.path.exists(stop_file):
            for _ in range(20):
                data = ("%08d " % line).encode() + b"x" * 90 + b"\n"
                connection.sendall(data)
                digest.update(data)
                count += len(data)
                line += 1
            time.sleep(0.05)
        connection.shutdown(socket.SHUT_WR)
        reply = b""
        while not reply.endswith(b"\n"):
            data = connection.recv(4096)
            if not data:
                break
            reply += data
        print("sent %d %s reply %s" % (count, digest.hexdigest(), reply.decode().strip()), flush=True)
    except OSError as e:
        print("ERROR after %d bytes: %s" % (count, e), flush=True)
        sys.exit(1)


if __name__ == "__main__":
    if sys.argv[1] == "sink":
        sink(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    elif sys.argv[1] == "send":
        send(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    else:
        sys.exit("usage: stream.py sink NAME PORT REPORTDIR | send HOST PORT STOPFILE")
