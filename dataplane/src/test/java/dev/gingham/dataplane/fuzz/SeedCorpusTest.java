package dev.gingham.dataplane.fuzz;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The committed Jazzer seed corpus is what {@link SeedCorpus} writes: it cannot drift from the generators silently. */
class SeedCorpusTest {
    @Test
    void shouldMatchTheCommittedCorpusWhenRegenerated() throws IOException {
        Map<String, byte[]> files = SeedCorpus.files();
        assertTrue(files.size() > 100, files.size() + " seed files");
        for (Map.Entry<String, byte[]> file : files.entrySet()) {
            try (InputStream committed = getClass().getClassLoader().getResourceAsStream(file.getKey())) {
                assertNotNull(committed, file.getKey() + " is not committed: run SeedCorpus (see its Javadoc)");
                assertArrayEquals(file.getValue(), committed.readAllBytes(), file.getKey() + " differs: rerun SeedCorpus");
            }
        }
    }
}
