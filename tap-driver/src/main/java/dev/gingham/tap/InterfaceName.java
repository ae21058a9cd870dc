package dev.gingham.tap;

import java.nio.charset.StandardCharsets;

/**
 * The kernel's rule for interface names (net/core/dev.c {@code dev_valid_name}), checked before
 * any system call so that a bad name is reported as such and not as the kernel's bare EINVAL.
 */
public final class InterfaceName {
    /** IFNAMSIZ - 1: the name and its NUL terminator must fit in 16 bytes. */
    public static final int MAX_BYTES = 15;

    private InterfaceName() {
    }

    /**
     * Returns: {@code name}, when the kernel would accept it.
     *
     * @throws NetDeviceException {@link NetDeviceException.Reason#INVALID_NAME} naming the rule broken
     */
    public static String validate(String name) {
        if (name == null || name.isEmpty()) {
            throw invalid(name, "it is empty");
        }
        int bytes = name.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_BYTES) {
            throw invalid(name, "it is " + bytes + " bytes long; Linux allows at most " + MAX_BYTES);
        }
        if (name.equals(".") || name.equals("..")) {
            throw invalid(name, "'.' and '..' are reserved");
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c == '/' || c == ':' || Character.isWhitespace(c) || c == 0) {
                throw invalid(name, "it contains '" + (c == 0 ? "\\0" : String.valueOf(c))
                        + "' (not allowed: '/', ':', whitespace)");
            }
        }
        return name;
    }

    private static NetDeviceException invalid(String name, String why) {
        return new NetDeviceException(NetDeviceException.Reason.INVALID_NAME, 0,
                "interface name '" + name + "' is invalid: " + why);
    }
}
