package dev.gingham.dataplane.cni;

import dev.gingham.dataplane.api.ApiJson;
import dev.gingham.dataplane.api.PodNetwork;
import dev.gingham.dataplane.cluster.ApplyReport;
import dev.gingham.dataplane.cluster.LocalPod;
import dev.gingham.dataplane.cluster.ManifestSet;
import dev.gingham.dataplane.config.NodeConfig;
import dev.gingham.dataplane.k8s.ManifestException;
import dev.gingham.dataplane.k8s.Pod;
import dev.gingham.nat.IpAddress;
import dev.gingham.packet.Cidr;
import dev.gingham.packet.header.Addresses;
import dev.gingham.tap.LinkInfo;
import dev.gingham.tap.NetDeviceException;
import dev.gingham.tap.Rtnetlink;
import tools.jackson.core.JacksonException;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * The daemon's side of the CNI plugin: ADD, DEL and CHECK as the admin API hands them over
 * ({@link PodNetwork}), done on the control thread, the one writer of the node's maps and of the
 * attachments.
 *
 * <p>ADD: an address per pod CIDR from {@link HostLocalIpam}, then the attachment merged into the
 * cluster's manifest set ({@link AttachmentMerge}) and the set applied: the same checks and the
 * same atomic apply as a manifest change, and the same listener that gives every local pod its
 * TAP (moved into the CNI_NETNS path, named CNI_IFNAME, with the pod's MAC, MTU, address and
 * default route) and its endpoint. The attachments are then saved ({@link AttachmentStore}); a
 * refusal, a device that could not be made or a file that could not be written undoes all of it
 * (the previous set is applied again and the addresses released). An ADD for a key that is
 * attached already answers what it has (the same address).
 *
 * <p>DEL removes the attachment (the pod's endpoint and device go with the next apply) and
 * releases its addresses; a DEL for an unknown key, or a second one, succeeds. CHECK compares the
 * interface in the pod's namespace (present, up, MAC, addresses) with the attachment.
 *
 * <p>Threads: {@link #call} runs on an API thread and waits (at most {@code timeout}) for the
 * control thread; everything else runs on the control thread.
 */
public final class CniService implements PodNetwork {
    /** How long an API call waits for the control thread before answering "try again later". */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);
    static final String IPAM_DIRECTORY = "ipam";

    /** What the service needs of the daemon. */
    public interface Node {
        /** Queues a task for the control thread; false when the queue is full. */
        boolean submit(Runnable task);

        /** Control thread: the cluster's manifest set in force (without attachments). */
        ManifestSet cluster();

        /** Control thread: applies a set with the attachments merged in. */
        ApplyReport apply(ManifestSet merged);

        /** Returns: this node's pods as the last apply left them, by "namespace/name". */
        Map<String, LocalPod> localPods();
    }

    private final NodeConfig config;
    private final int podMtuBytes;
    private final HostLocalIpam ipam;
    private final AttachmentStore store;
    private final Consumer<String> log;
    private final Duration timeout;
    private final Map<String, CniAttachment> attachments = new LinkedHashMap<>();
    private Node node;

    private CniService(NodeConfig config, int podMtuBytes, Path stateDirectory, Consumer<String> log, Duration timeout) {
        this.config = config;
        this.podMtuBytes = podMtuBytes;
        this.log = log;
        this.timeout = timeout;
        this.ipam = new HostLocalIpam(stateDirectory.resolve(IPAM_DIRECTORY), config.podCidrs(), Set.copyOf(config.gateway().addresses()));
        this.store = new AttachmentStore(stateDirectory);
    }

    /**
     * Opens the service's state under {@code stateDirectory} (the addresses and the attachments a
     * previous run saved). Attachments whose namespace file is gone (the container ended while the
     * daemon was down) are not brought back; their addresses stay reserved until the runtime's
     * DEL, as host-local keeps them.
     *
     * @throws IllegalStateException naming the file when the saved attachments cannot be read
     */
    public static CniService open(NodeConfig config, int podMtuBytes, Path stateDirectory, Consumer<String> log, Duration timeout) {
        CniService service = new CniService(config, podMtuBytes, stateDirectory, log, timeout);
        for (CniAttachment a : service.store.load()) {
            if (Files.exists(Path.of(a.netns()))) {
                service.attachments.put(a.key(), a);
            } else {
                log.accept("cni: " + a.podKey() + " (container " + a.containerId() + "): its network namespace " + a.netns()
                        + " is gone; not attached again (its addresses stay reserved until the runtime's DEL)");
            }
        }
        return service;
    }

    /** Connects the service to the running node (before the API starts). */
    public void bind(Node running) {
        this.node = running;
    }

    /** Control thread: {@code cluster} with the attachments merged in (what the node applies). */
    public ManifestSet merge(ManifestSet cluster) {
        return AttachmentMerge.merge(cluster, attachments.values(), config.nodeName());
    }

    /** Control thread: the interface name a local pod gets in its namespace (CNI_IFNAME), or null for a manifest pod. */
    public String interfaceName(String podKey) {
        for (CniAttachment a : attachments.values()) {
            if (a.podKey().equals(podKey)) {
                return a.ifname();
            }
        }
        return null;
    }

    /** Returns: the attachments now (control thread; a copy). */
    List<CniAttachment> attachments() {
        return List.copyOf(attachments.values());
    }

    /** Returns: the addresses' allocator (tests read its files' view). */
    HostLocalIpam ipam() {
        return ipam;
    }

    @Override
    public Reply call(String operation, byte[] body) {
        CniWire.Request request;
        try {
            request = ApiJson.MAPPER.readValue(body, CniWire.Request.class);
        } catch (JacksonException e) {
            return failure(new CniError(CniError.DECODE_FAILURE, "cannot decode the CNI request: " + e.getOriginalMessage(), operation));
        }
        if (request.containerId() == null || request.containerId().isEmpty() || request.ifname() == null || request.ifname().isEmpty()) {
            return failure(new CniError(CniError.INVALID_ENVIRONMENT, "the request needs containerId and ifname", "containerId"));
        }
        if (node == null) {
            return failure(new CniError(CniError.TRY_AGAIN_LATER, "the daemon is still starting", ""));
        }
        CompletableFuture<Reply> answer = new CompletableFuture<>();
        Runnable task = () -> {
            try {
                answer.complete(handle(operation, request));
            } catch (CniError e) {
                answer.complete(failure(e));
            } catch (RuntimeException e) {
                answer.complete(failure(new CniError(CniError.ATTACH_FAILED, operation + " failed: " + e.getMessage(), e.toString())));
            }
        };
        if (!node.submit(task)) {
            return failure(new CniError(CniError.TRY_AGAIN_LATER, "the daemon's control queue is full", ""));
        }
        try {
            return answer.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            return failure(new CniError(CniError.TRY_AGAIN_LATER, "the daemon did not finish " + operation + " within "
                    + timeout.toSeconds() + " s", ""));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return failure(new CniError(CniError.TRY_AGAIN_LATER, "interrupted while waiting for the daemon", ""));
        } catch (ExecutionException e) {
            return failure(new CniError(CniError.ATTACH_FAILED, operation + " failed: " + e.getCause(), ""));
        }
    }

    /** Control thread. */
    private Reply handle(String operation, CniWire.Request request) {
        return switch (operation) {
            case ADD -> ok(add(request));
            case DEL -> {
                del(request);
                yield new Reply(200, "{}".getBytes(java.nio.charset.StandardCharsets.UTF_8));
            }
            case CHECK -> ok(check(request));
            default -> failure(new CniError(CniError.INVALID_ENVIRONMENT, "unknown CNI operation '" + operation + "'", operation));
        };
    }

    private CniWire.Attached add(CniWire.Request request) {
        String key = CniAttachment.key(request.containerId(), request.ifname());
        CniAttachment existing = attachments.get(key);
        if (existing != null) {
            return describe(existing); // ADD repeated: what it has
        }
        if (request.netns() == null || request.netns().isEmpty() || !Files.exists(Path.of(request.netns()))) {
            throw new CniError(CniError.UNKNOWN_CONTAINER, "the network namespace " + request.netns() + " does not exist", "CNI_NETNS");
        }
        String podNamespace = CniAttachment.podNamespace(request);
        String podName = CniAttachment.podName(request);
        for (CniAttachment other : attachments.values()) {
            if (other.podKey().equals(podNamespace + "/" + podName)) {
                throw new CniError(CniError.TRY_AGAIN_LATER, "pod " + other.podKey() + " is still attached as container "
                        + other.containerId() + " (" + other.ifname() + "); the runtime deletes that one first", "K8S_POD_NAME");
            }
        }
        ManifestSet cluster = node.cluster();
        Set<IpAddress> taken = new HashSet<>();
        for (Pod pod : cluster.pods()) {
            if (!(pod.namespace().equals(podNamespace) && pod.name().equals(podName))) {
                taken.addAll(pod.ips());
            }
        }
        List<IpAddress> ips = ipam.allocate(request.containerId(), request.ifname(), taken::contains);
        CniAttachment attachment = new CniAttachment(request.containerId(), request.ifname(), request.netns(), podNamespace, podName,
                ips.stream().map(IpAddress::toString).toList());
        attachments.put(key, attachment);
        try {
            ApplyReport report = node.apply(merge(cluster));
            String failed = report.listenerFailures().stream().filter(f -> f.startsWith(attachment.podKey() + ":")).findFirst().orElse(null);
            if (failed != null) {
                throw new CniError(CniError.ATTACH_FAILED, "cannot give pod " + attachment.podKey() + " its interface: " + failed, request.netns());
            }
            store.save(List.copyOf(attachments.values()));
        } catch (CniError | ManifestException | IllegalStateException e) {
            undoAdd(attachment, cluster);
            if (e instanceof CniError cni) {
                throw cni;
            }
            throw new CniError(CniError.ATTACH_FAILED, "the node refused pod " + attachment.podKey() + ": " + e.getMessage(), attachment.podKey());
        }
        log.accept("cni: ADD " + attachment.podKey() + " (container " + attachment.containerId() + ", " + attachment.ifname() + " in "
                + attachment.netns() + "): " + attachment.ips());
        return describe(attachment);
    }

    private void undoAdd(CniAttachment attachment, ManifestSet cluster) {
        attachments.remove(attachment.key());
        try {
            node.apply(merge(cluster));
        } catch (RuntimeException e) {
            log.accept("cni: undoing the ADD of " + attachment.podKey() + " failed: " + e.getMessage());
        }
        ipam.release(attachment.containerId(), attachment.ifname());
    }

    private void del(CniWire.Request request) {
        String key = CniAttachment.key(request.containerId(), request.ifname());
        CniAttachment attachment = attachments.remove(key);
        if (attachment != null) {
            try {
                node.apply(merge(node.cluster()));
            } catch (RuntimeException e) {
                attachments.put(key, attachment);
                throw new CniError(CniError.TRY_AGAIN_LATER, "cannot remove pod " + attachment.podKey() + ": " + e.getMessage(), key);
            }
            store.save(List.copyOf(attachments.values()));
        }
        List<IpAddress> released = ipam.release(request.containerId(), request.ifname());
        if (attachment != null || !released.isEmpty()) {
            log.accept("cni: DEL container " + request.containerId() + " " + request.ifname()
                    + (attachment == null ? "" : " (" + attachment.podKey() + ")") + ": released " + released);
        }
    }

    private CniWire.Attached check(CniWire.Request request) {
        CniAttachment attachment = attachments.get(CniAttachment.key(request.containerId(), request.ifname()));
        if (attachment == null) {
            throw new CniError(CniError.UNKNOWN_CONTAINER, "container " + request.containerId() + " has no interface "
                    + request.ifname() + " on this node", "CNI_CONTAINERID");
        }
        if (!Files.exists(Path.of(attachment.netns()))) {
            throw new CniError(CniError.UNKNOWN_CONTAINER, "the network namespace " + attachment.netns() + " is gone", "CNI_NETNS");
        }
        LocalPod pod = node.localPods().get(attachment.podKey());
        if (pod == null) {
            throw new CniError(CniError.CHECK_FAILED, "pod " + attachment.podKey() + " is not a local endpoint", attachment.podKey());
        }
        CniWire.Attached attached = describe(attachment);
        LinkInfo link = link(attachment);
        if (!link.isUp()) {
            throw new CniError(CniError.CHECK_FAILED, attachment.ifname() + " in " + attachment.netns() + " is down", attachment.ifname());
        }
        if (link.mac() != pod.mac()) {
            throw new CniError(CniError.CHECK_FAILED, attachment.ifname() + " has MAC " + link.macText() + ", the endpoint "
                    + Addresses.formatMac(pod.mac()), attachment.ifname());
        }
        List<Cidr> present;
        try (Rtnetlink netlink = Rtnetlink.openIn(attachment.netns())) {
            present = netlink.addresses(link.ifindex());
        } catch (NetDeviceException e) {
            throw new CniError(CniError.CHECK_FAILED, "cannot list the addresses of " + attachment.ifname() + ": " + e.getMessage(),
                    attachment.ifname());
        }
        for (CniWire.Ip ip : attached.ips()) {
            if (!present.contains(Cidr.parse(ip.address()))) {
                throw new CniError(CniError.CHECK_FAILED, attachment.ifname() + " in " + attachment.netns() + " lacks " + ip.address()
                        + " (it has " + present + ")", attachment.ifname());
            }
        }
        return attached;
    }

    /** What an attachment looks like now: the interface read from the pod's namespace, the addresses and routes it was given. */
    private CniWire.Attached describe(CniAttachment attachment) {
        LinkInfo link = link(attachment);
        List<CniWire.Ip> ips = new ArrayList<>();
        List<CniWire.Route> routes = new ArrayList<>();
        for (String text : attachment.ips()) {
            IpAddress ip = IpAddress.parse(text);
            IpAddress gateway = config.gateway().addresses().stream().filter(g -> g.ipv4() == ip.ipv4()).findFirst().orElse(null);
            ips.add(new CniWire.Ip(ip + (ip.ipv4() ? "/32" : "/128"), gateway == null ? null : gateway.toString()));
            if (gateway != null) {
                routes.add(new CniWire.Route(ip.ipv4() ? "0.0.0.0/0" : "::/0", gateway.toString()));
            }
        }
        return new CniWire.Attached(attachment.podKey(), attachment.ifname(), link.macText(), attachment.netns(), podMtuBytes, ips, routes);
    }

    private static LinkInfo link(CniAttachment attachment) {
        try (Rtnetlink netlink = Rtnetlink.openIn(attachment.netns())) {
            LinkInfo link = netlink.findLink(attachment.ifname());
            if (link == null) {
                throw new CniError(CniError.CHECK_FAILED, "no interface " + attachment.ifname() + " in " + attachment.netns(),
                        attachment.ifname());
            }
            return link;
        } catch (NetDeviceException e) {
            throw new CniError(e.reason() == NetDeviceException.Reason.NAMESPACE_MISSING ? CniError.UNKNOWN_CONTAINER : CniError.IO_FAILURE,
                    "cannot inspect " + attachment.ifname() + " in " + attachment.netns() + ": " + e.getMessage(), attachment.netns());
        }
    }

    private static Reply ok(CniWire.Attached attached) {
        return new Reply(200, ApiJson.MAPPER.writeValueAsBytes(attached));
    }

    private static Reply failure(CniError e) {
        int status = switch (e.code()) {
            case CniError.UNKNOWN_CONTAINER -> 404;
            case CniError.INCOMPATIBLE_VERSION, CniError.UNSUPPORTED_FIELD, CniError.INVALID_ENVIRONMENT, CniError.DECODE_FAILURE,
                 CniError.INVALID_NETWORK_CONFIG -> 400;
            case CniError.TRY_AGAIN_LATER -> 503;
            default -> 500;
        };
        return new Reply(status, ApiJson.MAPPER.writeValueAsBytes(e.failure()));
    }
}
