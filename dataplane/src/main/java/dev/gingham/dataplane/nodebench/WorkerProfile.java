package dev.gingham.dataplane.nodebench;

import jdk.jfr.Configuration;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordedThread;
import jdk.jfr.consumer.RecordingFile;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.text.ParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A JFR recording ({@code --profile}) around one measurement, and where the daemon's worker spent
 * it: JFR samples a thread running Java code ({@code jdk.ExecutionSample}) and one inside a native
 * call ({@code jdk.NativeMethodSample}: a TAP {@code read(2)} or {@code write(2)} through
 * java.lang.foreign). Each sample of a worker thread is charged to its innermost Gingham method
 * (the FFM and JDK frames above it say only "a system call"), and the share of samples taken in
 * native code says how much of the worker is the kernel's. The recording file stays for JDK
 * Mission Control or {@code jfr print}.
 */
final class WorkerProfile implements AutoCloseable {
    private static final int TOP_METHODS = 12;
    private final Recording recording;
    private final String phase;

    private WorkerProfile(Recording recording, String phase) {
        this.recording = recording;
        this.phase = phase;
    }

    /** Starts a recording with the JDK's "profile" settings (Java samples every 10 ms, native every 20 ms). */
    static WorkerProfile start(String phase) {
        try {
            Recording r = new Recording(Configuration.getConfiguration("profile"));
            r.setName("gingham-bench-" + phase);
            r.start();
            return new WorkerProfile(r, phase);
        } catch (IOException | ParseException e) {
            throw new IllegalStateException("cannot start a JFR recording: " + e.getMessage(), e);
        }
    }

    /** Stops, writes the recording to {@code file} and summarises the samples of threads named {@code threadPrefix}*. */
    NodeBenchResult.Profile stop(Path file, String threadPrefix) {
        try {
            recording.stop();
            recording.dump(file);
            Map<String, Integer> byMethod = new HashMap<>();
            int samples = 0;
            int nativeSamples = 0;
            for (RecordedEvent e : RecordingFile.readAllEvents(file)) {
                String type = e.getEventType().getName();
                boolean nativeSample = type.equals("jdk.NativeMethodSample");
                if (!nativeSample && !type.equals("jdk.ExecutionSample")) {
                    continue;
                }
                RecordedThread thread = e.getThread("sampledThread");
                if (thread == null || thread.getJavaName() == null || !thread.getJavaName().startsWith(threadPrefix)) {
                    continue;
                }
                samples++;
                if (nativeSample) {
                    nativeSamples++;
                }
                byMethod.merge(innermostGinghamMethod(e.getStackTrace()), 1, Integer::sum);
            }
            List<NodeBenchResult.HotMethod> top = new ArrayList<>();
            int total = samples;
            byMethod.entrySet().stream().sorted(Map.Entry.<String, Integer>comparingByValue().reversed()).limit(TOP_METHODS)
                    .forEach(m -> top.add(new NodeBenchResult.HotMethod(m.getKey(), share(m.getValue(), total))));
            return new NodeBenchResult.Profile(phase, file.toString(), samples, share(nativeSamples, samples), top);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write or read the JFR recording " + file + ": " + e.getMessage(), e);
        }
    }

    private static String innermostGinghamMethod(RecordedStackTrace stack) {
        if (stack == null) {
            return "(no stack)";
        }
        for (RecordedFrame frame : stack.getFrames()) {
            String type = frame.getMethod().getType().getName();
            if (type.startsWith("dev.gingham.")) {
                return type.substring(type.lastIndexOf('.') + 1) + "." + frame.getMethod().getName();
            }
        }
        List<RecordedFrame> frames = stack.getFrames();
        if (frames.isEmpty()) {
            return "(no frames)";
        }
        RecordedFrame top = frames.getFirst();
        return top.getMethod().getType().getName() + "." + top.getMethod().getName();
    }

    private static double share(int part, int whole) {
        return whole == 0 ? 0 : Math.round(1000.0 * part / whole) / 1000.0;
    }

    @Override
    public void close() {
        recording.close();
    }
}
