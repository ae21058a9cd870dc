package dev.gingham.dataplane.nodebench;

import dev.gingham.tap.NetworkNamespace;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One bulk TCP transfer from the client pod to the server pod, whose bytes are checked at the end:
 * the check that a path carries TCP before it is measured (a broken path fails there with a clear
 * message instead of as an iperf3 timeout), and the cross-node setup's functional test. Both
 * sockets are made by this JVM inside the pods' namespaces ({@link NetworkNamespace}), so the
 * bytes cross the path under test. The payload is pseudo-random (seeded), so a reordered,
 * duplicated or corrupted segment changes the digest.
 */
final class TcpTransfer {
    private static final int CHUNK_BYTES = 64 * 1024;

    private TcpTransfer() {
    }

    /** What the server received and the digest of what the client sent, to compare. */
    record Result(long receivedBytes, String sentSha256, String receivedSha256, long nanos) {
        boolean intact(long sentBytes) {
            return receivedBytes == sentBytes && sentSha256.equals(receivedSha256);
        }
    }

    /**
     * Sends {@code bytes} bytes from {@code pods.clientNs()} to {@code pods.serverIp():port}.
     *
     * @param timeoutMs the whole transfer's limit (connect, send, the server's last read)
     * @throws IllegalStateException the transfer did not finish in time or failed, naming the path
     */
    static Result run(PodPair pods, int port, long bytes, long timeoutMs) {
        String what = "TCP transfer " + pods.clientNs() + " -> " + pods.serverIp() + ":" + port + " (" + pods.path() + ")";
        ExecutorService server = Executors.newSingleThreadExecutor(Thread.ofPlatform().name("bench-transfer-server").daemon().factory());
        try (ServerSocketChannel listener = NetworkNamespace.call(pods.serverNs(), () -> {
            ServerSocketChannel s = ServerSocketChannel.open();
            s.bind(new InetSocketAddress(pods.serverIp(), port));
            return s;
        });
             SocketChannel client = NetworkNamespace.call(pods.clientNs(), SocketChannel::open)) {
            Future<Received> received = server.submit(() -> sink(listener));
            long start = System.nanoTime();
            // a stalled path blocks write() with no timeout of its own: close the socket at the deadline
            Thread watchdog = Thread.ofPlatform().name("bench-transfer-watchdog").daemon().start(() -> closeAfter(client, timeoutMs));
            client.socket().connect(new InetSocketAddress(pods.serverIp(), port), (int) timeoutMs);
            MessageDigest digest = sha256();
            ByteBuffer chunk = ByteBuffer.allocate(CHUNK_BYTES);
            Random random = new Random(bytes);
            long left = bytes;
            while (left > 0) {
                chunk.clear();
                random.nextBytes(chunk.array());
                chunk.limit((int) Math.min(CHUNK_BYTES, left));
                digest.update(chunk.array(), 0, chunk.limit());
                while (chunk.hasRemaining()) {
                    left -= client.write(chunk);
                }
            }
            client.shutdownOutput();
            Received got = received.get(Math.max(1, timeoutMs - (System.nanoTime() - start) / 1_000_000), TimeUnit.MILLISECONDS);
            watchdog.interrupt();
            return new Result(got.bytes(), HexFormat.of().formatHex(digest.digest()), got.sha256(), System.nanoTime() - start);
        } catch (java.nio.channels.AsynchronousCloseException e) {
            throw new IllegalStateException(what + ": not done within " + timeoutMs + " ms (the sender was stalled)", e);
        } catch (IOException e) {
            throw new UncheckedIOException(what + ": " + e.getMessage(), e);
        } catch (TimeoutException e) {
            throw new IllegalStateException(what + ": not done within " + timeoutMs + " ms", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException(what + ": the server failed: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } finally {
            server.shutdownNow();
        }
    }

    /** Closes {@code channel} after {@code timeoutMs} unless interrupted first. */
    private static void closeAfter(SocketChannel channel, long timeoutMs) {
        try {
            Thread.sleep(timeoutMs);
            channel.close();
        } catch (InterruptedException | IOException e) {
            // interrupted: the transfer finished in time; a failed close leaves the caller's own error to report
        }
    }

    private record Received(long bytes, String sha256) {
    }

    /** Server: reads until the client closes. */
    private static Received sink(ServerSocketChannel listener) throws IOException {
        try (SocketChannel peer = listener.accept()) {
            peer.setOption(StandardSocketOptions.SO_RCVBUF, 4 << 20);
            MessageDigest digest = sha256();
            ByteBuffer buffer = ByteBuffer.allocate(CHUNK_BYTES);
            long total = 0;
            int n;
            while ((n = peer.read(buffer)) >= 0) {
                digest.update(buffer.array(), 0, n);
                total += n;
                buffer.clear();
            }
            return new Received(total, HexFormat.of().formatHex(digest.digest()));
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }
}
