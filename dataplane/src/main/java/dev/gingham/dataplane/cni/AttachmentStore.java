package dev.gingham.dataplane.cni;

import dev.gingham.dataplane.api.ApiJson;
import tools.jackson.core.JacksonException;
import tools.jackson.core.type.TypeReference;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/**
 * The daemon's attachments on disk ({@code attachments.json}, a JSON array of
 * {@link CniAttachment}), so a restarted daemon knows which pods the plugin attached and gives
 * them their interfaces again. Written whole to a temporary file and renamed into place, so a
 * crash leaves the old list or the new one, never half of one.
 */
final class AttachmentStore {
    static final String FILE_NAME = "attachments.json";
    private static final TypeReference<List<CniAttachment>> LIST = new TypeReference<>() {
    };

    private final Path file;

    AttachmentStore(Path directory) {
        this.file = directory.resolve(FILE_NAME);
    }

    Path file() {
        return file;
    }

    /**
     * Returns: the attachments saved last (none when the file does not exist yet).
     *
     * @throws IllegalStateException naming the file when it cannot be read or decoded
     */
    List<CniAttachment> load() {
        try {
            return List.copyOf(ApiJson.MAPPER.readValue(Files.readAllBytes(file), LIST));
        } catch (NoSuchFileException none) {
            return List.of();
        } catch (IOException | JacksonException e) {
            throw new IllegalStateException("cannot read the CNI attachments " + file + ": " + e.getMessage()
                    + " (fix or remove the file; the pods it names lose their interfaces until the runtime adds them again)", e);
        }
    }

    /**
     * Replaces the file's contents with {@code attachments}.
     *
     * @throws CniError 5 naming the file when it cannot be written (the old contents stay)
     */
    void save(List<CniAttachment> attachments) {
        Path temporary = file.resolveSibling("." + FILE_NAME + ".tmp");
        try {
            Files.createDirectories(file.getParent());
            Files.write(temporary, ApiJson.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(attachments));
            Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | JacksonException e) {
            throw new CniError(CniError.IO_FAILURE, "cannot save the CNI attachments to " + file + ": " + e.getMessage(), file.toString());
        }
    }
}
