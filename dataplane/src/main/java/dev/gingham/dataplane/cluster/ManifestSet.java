package dev.gingham.dataplane.cluster;

import dev.gingham.dataplane.k8s.CiliumEgressGatewayPolicy;
import dev.gingham.dataplane.k8s.EndpointSlice;
import dev.gingham.dataplane.k8s.ManifestException;
import dev.gingham.dataplane.k8s.ManifestKind;
import dev.gingham.dataplane.k8s.ManifestObject;
import dev.gingham.dataplane.k8s.ManifestReader;
import dev.gingham.dataplane.k8s.Namespace;
import dev.gingham.dataplane.k8s.NetworkPolicy;
import dev.gingham.dataplane.k8s.Node;
import dev.gingham.dataplane.k8s.Pod;
import dev.gingham.dataplane.k8s.Service;
import dev.gingham.nat.IpAddress;
import dev.gingham.packet.Cidr;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * An immutable, fully validated snapshot of a manifests directory: every object by kind,
 * namespace and name, with the file, document and line it came from. Building one reads every
 * file and checks every object and the objects against each other (an object defined twice, a
 * namespace nobody created, two pods or services claiming one address or node port, overlapping
 * node pod CIDRs); any problem rejects the whole set with messages naming file, object and field.
 *
 * <p>What is read: regular files (symlinks followed, as in a ConfigMap volume) directly in the
 * directory whose names end in .yaml, .yml or .json and do not start with '.', in name order.
 * Subdirectories are not read (so a ConfigMap mount's {@code ..data} directory is not read twice).
 *
 * <p>Node configuration is not needed here; checks that depend on it (service addresses inside
 * the service CIDRs, node ports in range, local pod addresses) are the translators' and fail the
 * same way.
 */
public final class ManifestSet {
    /** Namespaces every cluster has: objects may live there without a Namespace manifest. */
    public static final Set<String> BUILT_IN_NAMESPACES = Set.of("default", "kube-system", "kube-public", "kube-node-lease");

    private static final ManifestSet EMPTY = new ManifestSet("(none)", List.of(), List.of(), List.of(), "");

    private final String origin;
    private final List<String> files;
    private final Map<ManifestObject.Ref, ManifestObject> objects;
    private final List<String> warnings;
    private final String fingerprint;

    private ManifestSet(String origin, List<String> files, List<ManifestObject> objects, List<String> warnings, String fingerprint) {
        this.origin = origin;
        this.files = List.copyOf(files);
        Map<ManifestObject.Ref, ManifestObject> byRef = new LinkedHashMap<>();
        objects.forEach(o -> byRef.put(o.ref(), o));
        this.objects = java.util.Collections.unmodifiableMap(byRef);
        this.warnings = List.copyOf(warnings);
        this.fingerprint = fingerprint;
    }

    /** Returns: the set with no objects (before the first load). */
    public static ManifestSet empty() {
        return EMPTY;
    }

    /**
     * Reads and checks every manifest of {@code directory}.
     *
     * @throws ManifestException with every problem of every file (nothing is returned for a bad directory)
     */
    public static ManifestSet load(Path directory) {
        return of(directory.toString(), readFiles(directory));
    }

    /**
     * Reads and checks manifests given as file name to content (tests, replay, an API server
     * adapter), read in name order.
     *
     * @param origin how to name the whole set in messages (the directory)
     * @throws ManifestException with every problem
     */
    public static ManifestSet of(String origin, Map<String, String> files) {
        return of(origin, files, List.of());
    }

    /**
     * As {@link #of(String, Map)}, with warnings about objects the caller left out before
     * reading (an API server's pods that have no address yet); they come first in
     * {@link #warnings()} and are not part of the fingerprint.
     *
     * @throws ManifestException with every problem
     */
    public static ManifestSet of(String origin, Map<String, String> files, List<String> skipped) {
        Map<String, String> sorted = new TreeMap<>(files);
        List<ManifestException.Problem> problems = new ArrayList<>();
        List<ManifestObject> objects = new ArrayList<>();
        List<String> warnings = new ArrayList<>(skipped);
        for (Map.Entry<String, String> file : sorted.entrySet()) {
            try {
                ManifestReader.Result result = ManifestReader.read(file.getValue(), file.getKey());
                objects.addAll(result.objects());
                warnings.addAll(result.warnings());
            } catch (ManifestException e) {
                problems.addAll(e.problems());
            }
        }
        if (!problems.isEmpty()) {
            throw new ManifestException(problems);
        }
        Findings findings = new Findings();
        List<ManifestObject> unique = check(objects, findings);
        findings.throwIfAny();
        warnings.addAll(findings.warnings());
        return new ManifestSet(origin, List.copyOf(sorted.keySet()), unique, warnings, fingerprint(sorted));
    }

    /**
     * Returns: a digest of the manifest files of {@code directory} (names and contents), to tell
     * whether anything changed without parsing.
     *
     * @throws ManifestException when the directory cannot be read
     */
    public static String fingerprint(Path directory) {
        return fingerprint(readFiles(directory));
    }

    private static Map<String, String> readFiles(Path directory) {
        Map<String, String> files = new TreeMap<>();
        try (Stream<Path> entries = Files.list(directory)) {
            for (Path path : entries.sorted().toList()) {
                String name = path.getFileName().toString();
                if (name.startsWith(".") || !(name.endsWith(".yaml") || name.endsWith(".yml") || name.endsWith(".json"))
                        || !Files.isRegularFile(path)) {
                    continue;
                }
                try {
                    files.put(name, Files.readString(path, StandardCharsets.UTF_8));
                } catch (java.nio.file.NoSuchFileException gone) {
                    // removed between listing and reading (an editor's save): the next scan sees the new state
                } catch (IOException e) {
                    throw new ManifestException(new ManifestException.Problem(new ManifestObject.Source(name, 0, 0), "", "",
                            "cannot read the file: " + e.getMessage()));
                }
            }
        } catch (IOException e) {
            throw new ManifestException(new ManifestException.Problem(new ManifestObject.Source(directory.toString(), 0, 0), "",
                    "", "cannot read the manifests directory: " + e));
        }
        return files;
    }

    /**
     * Returns: the digest {@link #of} gives a set of these files (names and contents, in name
     * order), to tell whether anything changed without parsing.
     */
    public static String fingerprint(Map<String, String> files) {
        Map<String, String> sortedFiles = files instanceof TreeMap<String, String> t && t.comparator() == null ? files : new TreeMap<>(files);
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            for (Map.Entry<String, String> file : sortedFiles.entrySet()) {
                digest.update(file.getKey().getBytes(StandardCharsets.UTF_8));
                digest.update((byte) 0);
                digest.update(file.getValue().getBytes(StandardCharsets.UTF_8));
                digest.update((byte) 0);
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    // ---- cross-object checks ---------------------------------------------------------------------

    private static List<ManifestObject> check(List<ManifestObject> objects, Findings findings) {
        Map<ManifestObject.Ref, ManifestObject> first = new LinkedHashMap<>();
        for (ManifestObject object : objects) {
            ManifestObject earlier = first.putIfAbsent(object.ref(), object);
            if (earlier != null) {
                findings.error(object, "metadata.name", "is also defined in " + earlier.source());
            }
        }
        List<ManifestObject> unique = List.copyOf(first.values());
        Set<String> namespaces = new java.util.HashSet<>(BUILT_IN_NAMESPACES);
        for (ManifestObject object : unique) {
            if (object.ref().kind() == ManifestKind.NAMESPACE) {
                namespaces.add(object.ref().name());
            }
        }
        Map<IpAddress, ManifestObject> podAddresses = new LinkedHashMap<>();
        Map<IpAddress, ManifestObject> clusterIps = new LinkedHashMap<>();
        Map<String, ManifestObject> nodePorts = new LinkedHashMap<>();
        Map<Cidr, ManifestObject> nodeCidrs = new LinkedHashMap<>();
        Set<String> services = new java.util.HashSet<>();
        for (ManifestObject object : unique) {
            if (object.ref().kind().namespaced() && !namespaces.contains(object.ref().namespace())) {
                findings.error(object, "metadata.namespace", "namespace '" + object.ref().namespace()
                        + "' has no Namespace object in the manifests");
            }
            switch (object.object()) {
                case Pod pod -> {
                    for (int i = 0; i < pod.ips().size(); i++) {
                        ManifestObject other = podAddresses.putIfAbsent(pod.ips().get(i), object);
                        if (other != null) {
                            findings.error(object, i == 0 ? "status.podIP" : "status.podIPs[" + i + "].ip", pod.ips().get(i)
                                    + " is also the address of " + other.ref() + " (" + other.source() + ")");
                        }
                    }
                }
                case Service service -> {
                    services.add(service.key());
                    for (int i = 0; i < service.clusterIps().size(); i++) {
                        ManifestObject other = clusterIps.putIfAbsent(service.clusterIps().get(i), object);
                        if (other != null) {
                            findings.error(object, i == 0 ? "spec.clusterIP" : "spec.clusterIPs[" + i + "]", service.clusterIps().get(i)
                                    + " is also the address of " + other.ref() + " (" + other.source() + ")");
                        }
                    }
                    for (int i = 0; i < service.ports().size(); i++) {
                        Service.Port port = service.ports().get(i);
                        if (port.nodePort() == 0) {
                            continue;
                        }
                        ManifestObject other = nodePorts.putIfAbsent(port.nodePort() + "/" + port.protocol(), object);
                        if (other != null && other != object) {
                            findings.error(object, "spec.ports[" + i + "].nodePort", port.nodePort() + "/" + port.protocol()
                                    + " is also a nodePort of " + other.ref() + " (" + other.source() + ")");
                        }
                    }
                }
                case Node node -> {
                    for (int i = 0; i < node.podCidrs().size(); i++) {
                        Cidr cidr = node.podCidrs().get(i);
                        for (Map.Entry<Cidr, ManifestObject> e : nodeCidrs.entrySet()) {
                            if (e.getKey().contains(cidr) || cidr.contains(e.getKey())) {
                                findings.error(object, "spec.podCIDRs[" + i + "]", cidr + " overlaps " + e.getKey() + " of "
                                        + e.getValue().ref() + " (" + e.getValue().source() + ")");
                            }
                        }
                        nodeCidrs.putIfAbsent(cidr, object);
                    }
                }
                default -> {
                }
            }
        }
        for (ManifestObject object : unique) {
            if (object.object() instanceof EndpointSlice slice && !services.contains(slice.namespace() + "/" + slice.serviceName())) {
                findings.warn(object, "no Service " + slice.namespace() + "/" + slice.serviceName() + " in the manifests; its endpoints are not used");
            }
        }
        return unique;
    }

    /**
     * Returns: this set with {@code extra} added, each object replacing the one of the same
     * identity (kind, namespace, name) or appended, checked as a whole as {@link #of} checks files
     * (an address claimed twice, a namespace nobody created...). The daemon merges the pods the CNI
     * plugin attached over the cluster's this way, so an attachment is applied with the same
     * atomicity as a manifest change. Origin, files and fingerprint stay this set's (they describe
     * the files).
     *
     * @throws ManifestException naming the objects that contradict each other; this set is unchanged
     */
    public ManifestSet with(List<ManifestObject> extra) {
        if (extra.isEmpty()) {
            return this;
        }
        Map<ManifestObject.Ref, ManifestObject> merged = new LinkedHashMap<>(objects);
        extra.forEach(o -> merged.put(o.ref(), o));
        Findings findings = new Findings();
        List<ManifestObject> unique = check(List.copyOf(merged.values()), findings);
        findings.throwIfAny();
        java.util.LinkedHashSet<String> allWarnings = new java.util.LinkedHashSet<>(warnings);
        allWarnings.addAll(findings.warnings());
        return new ManifestSet(origin, files, unique, List.copyOf(allWarnings), fingerprint);
    }

    // ---- reads -----------------------------------------------------------------------------------

    /** Returns: the directory (or other origin) the set was read from. */
    public String origin() {
        return origin;
    }

    /** Returns: the files read, in name order. */
    public List<String> files() {
        return files;
    }

    /** Returns: one line per skipped object or unused EndpointSlice. */
    public List<String> warnings() {
        return warnings;
    }

    /** Returns: a digest of the files' names and contents (equal digests: nothing changed). */
    public String fingerprint() {
        return fingerprint;
    }

    /** Returns: every object, in file order. */
    public List<ManifestObject> objects() {
        return List.copyOf(objects.values());
    }

    /** Returns: the objects of one kind, in file order. */
    public List<ManifestObject> objects(ManifestKind kind) {
        return objects.values().stream().filter(o -> o.ref().kind() == kind).toList();
    }

    /** Returns: the object with this identity, or null. */
    public ManifestObject object(ManifestObject.Ref ref) {
        return objects.get(ref);
    }

    public List<Namespace> namespaces() {
        return records(ManifestKind.NAMESPACE, Namespace.class);
    }

    public List<Pod> pods() {
        return records(ManifestKind.POD, Pod.class);
    }

    public List<Node> nodes() {
        return records(ManifestKind.NODE, Node.class);
    }

    public List<Service> services() {
        return records(ManifestKind.SERVICE, Service.class);
    }

    public List<EndpointSlice> endpointSlices() {
        return records(ManifestKind.ENDPOINT_SLICE, EndpointSlice.class);
    }

    public List<NetworkPolicy> networkPolicies() {
        return records(ManifestKind.NETWORK_POLICY, NetworkPolicy.class);
    }

    public List<CiliumEgressGatewayPolicy> egressGatewayPolicies() {
        return records(ManifestKind.CILIUM_EGRESS_GATEWAY_POLICY, CiliumEgressGatewayPolicy.class);
    }

    private <T> List<T> records(ManifestKind kind, Class<T> type) {
        return objects(kind).stream().map(o -> o.as(type)).toList();
    }

    @Override
    public String toString() {
        return "ManifestSet[" + origin + ": " + objects.size() + " objects in " + files.size() + " files]";
    }
}
