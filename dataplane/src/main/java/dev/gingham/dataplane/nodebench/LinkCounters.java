package dev.gingham.dataplane.nodebench;

import dev.gingham.dataplane.demo.Shell;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.time.Duration;

/**
 * An interface's packet counters as its kernel keeps them ({@code ip -s -j link show}): the
 * receiving pod's {@code rx_packets} is what the packet-rate test counts, the same way for every
 * path, whoever forwarded the frames.
 */
final class LinkCounters {
    private static final Duration TIMEOUT = Duration.ofSeconds(5);
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private LinkCounters() {
    }

    /** Returns: packets {@code device} in namespace {@code netns} has received. */
    static long rxPackets(String netns, String device) {
        return stats(netns, device).path("rx").path("packets").asLong();
    }

    private static JsonNode stats(String netns, String device) {
        Shell.Result r = Shell.run(TIMEOUT, "ip", "-n", netns, "-s", "-j", "link", "show", "dev", device);
        if (!r.ok()) {
            throw new IllegalStateException("ip -n " + netns + " -s -j link show dev " + device + " failed: " + r.output());
        }
        JsonNode stats = JSON.readTree(r.output()).path(0).path("stats64");
        if (stats.isMissingNode()) {
            throw new IllegalStateException("ip -s -j link show dev " + device + " in " + netns + " printed no stats64: " + r.output());
        }
        return stats;
    }
}
