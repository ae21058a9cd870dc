package dev.gingham.packet;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DropReasonTest {

    @Test
    void shouldKeepCiliumCodesWhenCiliumNamesTheSameCause() {
        // The codes DESIGN.md §5 fixes, as Cilium's bpf/lib/common.h numbers them.
        assertEquals(133, DropReason.POLICY.code());
        assertEquals(134, DropReason.INVALID.code());
        assertEquals(136, DropReason.FRAG_NEEDED.code());
        assertEquals(151, DropReason.UNROUTABLE.code());
        assertEquals(155, DropReason.CT_CREATE_FAILED.code());
        assertEquals(158, DropReason.NO_SERVICE.code());
        assertEquals(167, DropReason.NAT_NO_MAPPING.code());
        assertEquals(181, DropReason.POLICY_DENY.code());
        assertEquals(183, DropReason.INVALID_VNI.code());
        assertEquals(196, DropReason.TTL_EXCEEDED.code());
    }

    @Test
    void shouldHaveUniqueCodesWhenLookedUpByCode() {
        Set<Integer> seen = new HashSet<>();
        for (DropReason reason : DropReason.values()) {
            assertTrue(seen.add(reason.code()), "code used twice: " + reason.code());
            assertSame(reason, DropReason.ofCode(reason.code()));
            assertTrue(reason.code() < 1000 ? reason.code() >= 130 : reason.code() <= DropReason.maxCode());
        }
        assertNull(DropReason.ofCode(0));
        assertNull(DropReason.ofCode(-5));
        assertNull(DropReason.ofCode(DropReason.maxCode() + 1));
    }

    @Test
    void shouldListEveryReasonWhenDocsAreRead() throws IOException {
        // docs/drop-reasons.md is what operators read: it must name every code with its name.
        Path doc = Path.of(System.getProperty("maven.multiModuleProjectDirectory", ".."), "docs", "drop-reasons.md");
        if (!Files.exists(doc)) {
            doc = Path.of("..", "docs", "drop-reasons.md");
        }
        String text = Files.readString(doc);
        for (DropReason reason : DropReason.values()) {
            String row = "| " + reason.code() + " | `" + reason.name() + "` |";
            assertTrue(text.contains(row), "docs/drop-reasons.md lacks the row " + row);
        }
    }
}
