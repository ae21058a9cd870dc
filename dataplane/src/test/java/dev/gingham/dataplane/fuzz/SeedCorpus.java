package dev.gingham.dataplane.fuzz;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * The committed seed corpus of the Jazzer harnesses, as code: every generator shape valid, a
 * spread of mutated frames, and harness inputs for each shape and mutation. Regenerate with
 * {@code java -cp <test classpath> dev.gingham.dataplane.fuzz.SeedCorpus dataplane/src/test/resources};
 * {@code SeedCorpusTest} fails when the committed files and this class disagree.
 */
final class SeedCorpus {
    static final String PARSER_DIR = "dev/gingham/dataplane/fuzz/ParserFuzzTestInputs/shouldKeepItsContractWhenParsingAnyBytes";
    static final String MUTATOR_DIR = "dev/gingham/dataplane/fuzz/MutatedFrameFuzzTestInputs/shouldStayHonestWhenFramesAreMutated";
    static final String PIPELINE_DIR = "dev/gingham/dataplane/fuzz/PipelineFuzzTestInputs/shouldKeepEveryInvariantWhenTheNodeRunsAnyFrames";
    /** Frames per pipeline input: enough for a flow's first packets and a flood's burst. */
    private static final int PIPELINE_FRAMES = 12;
    private static final long SEED = 20_260_101L;

    private SeedCorpus() {
    }

    /** Returns: file path (under the resources root) to contents, in a stable order. */
    static Map<String, byte[]> files() {
        Map<String, byte[]> files = new TreeMap<>();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment memory = arena.allocate(2048);
            FrameWriter writer = new FrameWriter();
            FrameGenerator generator = new FrameGenerator(FuzzAddresses.defaults());
            for (int shape = 0; shape < FrameGenerator.SHAPES; shape++) {
                for (int seed = 0; seed < 2; seed++) {
                    writer.begin(memory, 0, 2048);
                    generator.generate(shape, writer, new FuzzRandom(SEED + seed));
                    files.put(PARSER_DIR + "/" + FrameGenerator.shapeName(shape) + "-" + seed,
                            memory.asSlice(0, writer.length()).toArray(ValueLayout.JAVA_BYTE));
                }
            }
            FrameFuzzer fuzzer = new FrameFuzzer(SEED, FuzzAddresses.defaults());
            for (int index = 0; index < 24; index++) {
                int length = fuzzer.write(index, memory, 0, 2048);
                files.put(PARSER_DIR + "/mutated-" + index + "-" + FrameMutator.mutationName(fuzzer.lastMutation()),
                        memory.asSlice(0, length).toArray(ValueLayout.JAVA_BYTE));
            }
        }
        for (int shape = 0; shape < FrameGenerator.SHAPES; shape++) {
            for (int mutation = 0; mutation < FrameMutator.MUTATIONS; mutation += 3) {
                byte[] input = new byte[11];
                long seed = SEED + 31L * shape + mutation;
                for (int k = 0; k < 8; k++) {
                    input[k] = (byte) (seed >>> (8 * k));
                }
                input[8] = (byte) shape;
                input[9] = (byte) mutation;
                input[10] = (byte) ((mutation + shape) % FrameMutator.MUTATIONS);
                files.put(MUTATOR_DIR + "/" + FrameGenerator.shapeName(shape) + "-" + FrameMutator.mutationName(mutation),
                        input);
            }
        }
        pipelineInputs(files);
        return files;
    }

    /**
     * Inputs of the pipeline harness: per fuzzed port, vectors of the fuzz command's own mix
     * (mutated frames, the pod's real source for half the pod port's, floods), as
     * {@code [port byte][length u16][frame]...}.
     */
    private static void pipelineInputs(Map<String, byte[]> files) {
        try (FuzzNode node = FuzzNode.create(); Arena arena = Arena.ofConfined()) {
            MemorySegment memory = arena.allocate(2048);
            for (int port = 0; port < FuzzNode.PORTS; port++) {
                for (int vector = 0; vector < 4; vector++) {
                    FuzzMix mix = node.source(port, SEED + port);
                    java.io.ByteArrayOutputStream input = new java.io.ByteArrayOutputStream();
                    input.write(port);
                    for (int k = 0; k < PIPELINE_FRAMES; k++) {
                        int length = mix.write((long) vector * PIPELINE_FRAMES + k, memory, 0, 2048);
                        input.write(length >>> 8);
                        input.write(length);
                        input.writeBytes(memory.asSlice(0, length).toArray(ValueLayout.JAVA_BYTE));
                    }
                    files.put(PIPELINE_DIR + "/" + node.portName(port).replace('/', '_') + "-" + vector, input.toByteArray());
                }
            }
        }
    }

    public static void main(String[] args) throws IOException {
        Path root = Path.of(args.length > 0 ? args[0] : "dataplane/src/test/resources");
        for (Map.Entry<String, byte[]> file : files().entrySet()) {
            Path path = root.resolve(file.getKey());
            Files.createDirectories(path.getParent());
            Files.write(path, file.getValue());
        }
        System.out.println("wrote " + files().size() + " seed files under " + root);
    }
}
