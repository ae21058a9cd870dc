package dev.gingham.nat.lb;

import dev.gingham.maps.ArrayMap;
import dev.gingham.maps.MapErrors;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Maglev lookup tables ({@code lb-maglev}, an array map). A map value is capped at 64 KiB and a
 * table of M = 65521 ids is 256 KiB, so a table is stored as rows of {@link #ROW_ENTRIES} ids:
 * <pre>
 *  element index = ((maglevIndex * 2 + half) * rowsPerTable) + (slot / 4096)
 *  element value = u32 backendId[4096]          (the last row of a table partly used)
 * </pre>
 * Each table has two halves, selected by bit 0 of its backend list's generation
 * ({@link BackendLists}): the control thread writes the inactive half and the list publication
 * flips both together. Only lists whose algorithm is Maglev own a table (config
 * {@code maxMaglevTables}), so memory is M * 8 bytes per Maglev list, not per service.
 */
public final class MaglevTables {
    public static final int ROW_ENTRIES = 4096;
    public static final int ROW_BYTES = ROW_ENTRIES * 4;

    private final ArrayMap map;
    private final MemorySegment segment;
    private final int tableSize;
    private final int rowsPerTable;
    private final int maxTables;

    MaglevTables(ArrayMap map, int tableSize, int maxTables) {
        this.map = map;
        this.segment = map.segment();
        this.tableSize = tableSize;
        this.rowsPerTable = rowsPerTable(tableSize);
        this.maxTables = maxTables;
    }

    static int rowsPerTable(int tableSize) {
        return (tableSize + ROW_ENTRIES - 1) / ROW_ENTRIES;
    }

    static int elements(int tableSize, int maxTables) {
        return maxTables * 2 * rowsPerTable(tableSize);
    }

    /** Returns: M, the table size. */
    public int tableSize() {
        return tableSize;
    }

    /** Writes table {@code maglevIndex}'s half {@code half} from {@code entries[0..M)} (control thread). */
    void write(int maglevIndex, int half, int[] entries) {
        for (int row = 0; row < rowsPerTable; row++) {
            long offset = map.valueOffset((maglevIndex * 2 + half) * rowsPerTable + row);
            int from = row * ROW_ENTRIES;
            int n = Math.min(ROW_ENTRIES, tableSize - from);
            MemorySegment.copy(entries, from, segment, ValueLayout.JAVA_INT, offset, n);
        }
    }

    /**
     * Returns: the backend id at {@code slot} (0..M-1) of a table half, or 0 when the index is out
     * of range (possible only for a torn read a seqlock retry will discard).
     */
    public int backendId(int maglevIndex, long half, int slot) {
        if (Integer.compareUnsigned(maglevIndex, maxTables) >= 0 || Integer.compareUnsigned(slot, tableSize) >= 0) {
            return 0;
        }
        long offset = map.valueOffset((int) ((maglevIndex * 2 + (half & 1)) * rowsPerTable + (slot >>> 12)));
        if (offset == MapErrors.MISSING) {
            return 0;
        }
        return segment.get(ValueLayout.JAVA_INT, offset + 4L * (slot & (ROW_ENTRIES - 1)));
    }
}
