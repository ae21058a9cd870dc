package dev.gingham.dataplane.nodebench;

import dev.gingham.dataplane.demo.Shell;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code ping -i 0.01 -c N} from one namespace and the round-trip time of every answer, read from
 * ping's own lines ({@code time=0.123 ms}). ICMP echo through the path, answered by the other
 * pod's kernel.
 */
final class Ping {
    private static final Pattern TIME = Pattern.compile("time=([0-9.]+) ms");

    private Ping() {
    }

    static LatencyStats run(String netns, String target, int count) {
        Duration timeout = BenchPlan.PING_INTERVAL.multipliedBy(count).plusSeconds(15);
        double intervalSeconds = BenchPlan.PING_INTERVAL.toMillis() / 1000.0;
        Shell.Result r = Shell.run(timeout, "ip", "netns", "exec", netns, "ping", "-n", "-i", Double.toString(intervalSeconds),
                "-c", Integer.toString(count), "-W", "1", target);
        return parse(r.output(), count, "ping " + target + " in " + netns);
    }

    /** Returns: the statistics of ping's output; {@code what} names the run in the error. */
    static LatencyStats parse(String output, int count, String what) {
        long[] nanos = new long[count];
        int n = 0;
        Matcher m = TIME.matcher(output);
        while (m.find() && n < count) {
            nanos[n++] = Math.round(Double.parseDouble(m.group(1)) * 1_000_000);
        }
        if (n == 0) {
            throw new IllegalStateException(what + ": no answer; ping said: " + tail(output));
        }
        return LatencyStats.of(nanos, n, count - n);
    }

    static String tail(String output) {
        return output.length() <= 400 ? output : "..." + output.substring(output.length() - 400);
    }
}
