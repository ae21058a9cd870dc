package dev.gingham.dataplane.replay;

import dev.gingham.packet.FrameVector;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes a pcapng file with one interface per port name, so a capture of several ports (pods,
 * {@code underlay}, {@code host}) keeps which port each frame went through: Wireshark shows it as
 * {@code frame.interface_name}, and {@link CaptureReader} gives it back as
 * {@link CaptureReader#interfaceName()}.
 *
 * <p>Layout (little-endian, one section): a Section Header Block (version 1.0, section length
 * -1 = not given, {@code shb_userappl} "Gingham"); an Interface Description Block per
 * {@link #addInterface} (link type Ethernet, snap length {@value CaptureWriter#SNAP_LENGTH},
 * {@code if_name}, {@code if_tsresol} 9 = nanoseconds); an Enhanced Packet Block per frame
 * (64-bit nanosecond timestamp, no options). An interface may be added after frames were written:
 * its block goes where it is added, before the frames that use it, which pcapng allows. Nothing
 * depends on the clock or the host, so the same calls give byte-identical files.
 *
 * <p>Frames are copied from pool memory into a 1 MiB buffer: nothing is allocated per frame.
 * One writer belongs to one thread.
 */
public final class PcapngWriter extends CaptureWriter {
    /** {@code shb_userappl}: the application that wrote the file. */
    public static final String APPLICATION = "Gingham";
    static final int OPTION_SHB_USERAPPL = 4;
    /** if_tsresol 9: timestamps count nanoseconds. */
    static final int TSRESOL_NANOSECONDS = 9;
    private static final int EPB_HEADER_LENGTH = 28;

    private final List<String> interfaces = new ArrayList<>();

    private PcapngWriter(Path file) throws IOException {
        super(file);
        byte[] application = APPLICATION.getBytes(StandardCharsets.UTF_8);
        int total = 28 + optionLength(application.length) + 4;
        out.u32(PcapngReader.BLOCK_SHB);
        out.u32(total);
        out.u32(PcapngReader.BYTE_ORDER_MAGIC);
        out.u16(PcapngReader.VERSION_MAJOR);
        out.u16(0);
        out.u64(-1L);
        option(OPTION_SHB_USERAPPL, application);
        out.u32(PcapngReader.OPTION_END);
        out.u32(total);
    }

    /** Creates (or truncates) a pcapng file with no interfaces yet. */
    public static PcapngWriter create(Path file) throws IOException {
        return new PcapngWriter(file);
    }

    /** Creates (or truncates) a pcapng file and adds the interfaces in order (ids 0, 1, ...). */
    public static PcapngWriter create(Path file, List<String> interfaceNames) throws IOException {
        PcapngWriter writer = new PcapngWriter(file);
        for (String name : interfaceNames) {
            writer.addInterface(name);
        }
        return writer;
    }

    /**
     * Adds an interface (an Interface Description Block) named after a port.
     *
     * @return the interface id to pass to {@link #write}
     */
    public int addInterface(String name) throws IOException {
        byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
        if (nameBytes.length > 0xFFFF) {
            throw new IllegalArgumentException("interface name of " + nameBytes.length + " bytes: at most 65535");
        }
        int total = 16 + optionLength(nameBytes.length) + optionLength(1) + 4 + 4;
        out.reserve(total);
        out.u32(PcapngReader.BLOCK_IDB);
        out.u32(total);
        out.u16(LinkTypes.ETHERNET);
        out.u16(0);
        out.u32(SNAP_LENGTH);
        option(PcapngReader.OPTION_IF_NAME, nameBytes);
        option(PcapngReader.OPTION_IF_TSRESOL, new byte[] {TSRESOL_NANOSECONDS});
        out.u32(PcapngReader.OPTION_END);
        out.u32(total);
        interfaces.add(name);
        return interfaces.size() - 1;
    }

    /** Returns: the interface names added so far, by id. */
    public List<String> interfaces() {
        return List.copyOf(interfaces);
    }

    /**
     * Appends a frame captured whole on interface {@code interfaceId}.
     *
     * @param timestampNs nanoseconds since the epoch (the replay's virtual clock)
     */
    public void write(int interfaceId, MemorySegment segment, long offset, int length, long timestampNs)
            throws IOException {
        if (interfaceId < 0 || interfaceId >= interfaces.size()) {
            throw new IllegalArgumentException("interface " + interfaceId + " was not added (" + interfaces.size()
                    + " interfaces: " + interfaces + ")");
        }
        checkLength(length);
        int total = EPB_HEADER_LENGTH + ((length + 3) & ~3) + 4;
        out.reserve(total);
        out.u32(PcapngReader.BLOCK_EPB);
        out.u32(total);
        out.u32(interfaceId);
        out.u32((int) (timestampNs >>> 32));
        out.u32((int) timestampNs);
        out.u32(length);
        out.u32(length);
        out.frame(segment, offset, length, 4);
        out.u32(total);
        counted();
    }

    /** Appends frame {@code i} of the vector as it is now. */
    public void write(int interfaceId, FrameVector vector, int i, long timestampNs) throws IOException {
        write(interfaceId, vector.segment(), vector.start(i), vector.length(i), timestampNs);
    }

    /** Appends a frame held in a byte array (tests, reproducers). */
    public void write(int interfaceId, byte[] frame, long timestampNs) throws IOException {
        write(interfaceId, MemorySegment.ofArray(frame), 0, frame.length, timestampNs);
    }

    private void option(int code, byte[] value) {
        out.u16(code);
        out.u16(value.length);
        out.bytes(value);
        out.pad4(value.length);
    }

    /** Returns: an option's bytes: code, length, value padded to 4. */
    private static int optionLength(int valueLength) {
        return 4 + ((valueLength + 3) & ~3);
    }
}
