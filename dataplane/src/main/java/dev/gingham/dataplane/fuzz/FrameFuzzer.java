package dev.gingham.dataplane.fuzz;

import dev.gingham.packet.header.Ipv4Header;

import java.lang.foreign.MemorySegment;

/**
 * The structure-aware fuzzer: frame {@code index} of seed {@code seed} is a valid frame from the
 * {@link FrameGenerator} broken (or not) by the {@link FrameMutator}, both driven by a random
 * stream seeded with {@link FuzzRandom#frameSeed}(seed, index). Remembers the shape and mutation
 * of the last frame written and counts both, for the coverage report. Allocates nothing per frame; one instance per
 * thread.
 */
public final class FrameFuzzer implements FrameSource {
    private final long seed;
    private final FuzzRandom random = new FuzzRandom(0);
    private final FrameWriter writer = new FrameWriter();
    private final FrameGenerator generator;
    private final FrameMutator mutator = new FrameMutator();
    private int lastShape;
    private int lastMutation;
    private final long[] shapes = new long[FrameGenerator.SHAPES];
    private final long[] mutations = new long[FrameMutator.MUTATIONS];

    private final Endpoint endpoint;

    /**
     * The endpoint whose port frames arrive on, so that a share of them carry its real source
     * address and MAC: anti-spoofing drops any frame whose source is not the pod's, so without
     * this nearly every pod-port frame stops there and the programs behind it are never fuzzed.
     *
     * @param ipv4         the pod's IPv4 address
     * @param mac          the pod's MAC (48 bits in the low bits)
     * @param sharePercent frames (0..100) given the pod's source before mutation
     */
    public record Endpoint(int ipv4, long mac, int sharePercent) {
        public Endpoint {
            if (sharePercent < 0 || sharePercent > 100) {
                throw new IllegalArgumentException("endpoint share " + sharePercent + "% is not within 0..100");
            }
        }
    }

    public FrameFuzzer(long seed, FuzzAddresses addresses) {
        this(seed, addresses, null);
    }

    /** @param endpoint the pod behind the ingress port, or null (frames keep the generator's sources) */
    public FrameFuzzer(long seed, FuzzAddresses addresses, Endpoint endpoint) {
        this.seed = seed;
        this.generator = new FrameGenerator(addresses);
        this.endpoint = endpoint;
    }

    @Override
    public int write(long index, MemorySegment segment, long offset, int capacity) {
        random.reseed(FuzzRandom.frameSeed(seed, index));
        writer.begin(segment, offset, capacity);
        lastShape = generator.generate(writer, random);
        if (endpoint != null && random.nextInt(100) < endpoint.sharePercent()) {
            fromEndpoint();
        }
        lastMutation = mutator.mutate(writer, random);
        shapes[lastShape]++;
        mutations[lastMutation]++;
        return writer.length();
    }

    /**
     * Gives the (still valid) frame the endpoint's source MAC and, on its outermost IPv4 header
     * or ARP sender, the endpoint's address, then recomputes its checksums.
     */
    private void fromEndpoint() {
        if (writer.layers() == 0 || writer.kind(0) != FrameWriter.ETHERNET) {
            return;
        }
        int ethernet = writer.start(0);
        writer.u16(ethernet + 6, (int) (endpoint.mac() >>> 32));
        writer.u32(ethernet + 8, (int) endpoint.mac());
        int layer = 1;
        while (layer < writer.layers() && writer.kind(layer) != FrameWriter.IPV4 && writer.kind(layer) != FrameWriter.IPV6
                && writer.kind(layer) != FrameWriter.ARP) {
            layer++; // the outermost network layer, whatever tags come before it
        }
        if (layer < writer.layers()) {
            int at = writer.start(layer);
            if (writer.kind(layer) == FrameWriter.IPV4) {
                writer.u32(at + Ipv4Header.SRC_OFFSET, endpoint.ipv4());
            } else if (writer.kind(layer) == FrameWriter.ARP) {
                writer.u16(at + 8, (int) (endpoint.mac() >>> 32)); // sender hardware address
                writer.u32(at + 10, (int) endpoint.mac());
                writer.u32(at + 14, endpoint.ipv4()); // sender protocol address
            }
        }
        writer.checksums();
    }

    public long seed() {
        return seed;
    }

    /** Returns: the {@link FrameGenerator} shape of the last frame written. */
    public int lastShape() {
        return lastShape;
    }

    /** Returns: the {@link FrameMutator} mutation of the last frame written. */
    public int lastMutation() {
        return lastMutation;
    }

    /** Returns: frames written so far with {@link FrameGenerator} shape {@code shape}. */
    public long shapeCount(int shape) {
        return shapes[shape];
    }

    /** Returns: frames written so far with {@link FrameMutator} mutation {@code mutation} (first mutation). */
    public long mutationCount(int mutation) {
        return mutations[mutation];
    }
}
