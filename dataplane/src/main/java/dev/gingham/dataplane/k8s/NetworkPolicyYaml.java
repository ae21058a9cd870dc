package dev.gingham.dataplane.k8s;

import dev.gingham.dataplane.config.Problems;
import dev.gingham.dataplane.config.YamlDocuments;
import dev.gingham.dataplane.config.YamlField;
import dev.gingham.packet.Cidr;
import tools.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Reads networking.k8s.io/v1 NetworkPolicy manifests, as users write them for kubectl, into
 * {@link NetworkPolicy} records, validating what the API server validates.
 *
 * <p>Read field by field with {@link YamlField}: every error names the field a user has to fix
 * ({@code spec.ingress[0].from[1].ipBlock.except[0]}) and says what is wrong in the user's terms,
 * and unknown fields are errors (a typo such as {@code ingres:} would otherwise silently leave a
 * namespace open), as kubectl's strict field validation treats them. Metadata fields other than
 * name, namespace, labels and annotations are ignored.
 *
 * <p>All or nothing: {@link #parse} returns every policy of a (multi-document) file or throws;
 * it never returns the good half of a bad file. A document without {@code metadata.namespace}
 * lands in {@value #DEFAULT_NAMESPACE}, as {@code kubectl apply} without {@code -n} does.
 * Thread-safe; the daemon's manifest loader can call {@link #fromTree} for documents it has
 * already split by kind.
 */
public final class NetworkPolicyYaml {
    public static final String API_VERSION = "networking.k8s.io/v1";
    public static final String KIND = "NetworkPolicy";
    public static final String DEFAULT_NAMESPACE = ObjectFields.DEFAULT_NAMESPACE;

    private NetworkPolicyYaml() {
    }

    /**
     * Parses every document of {@code yaml}.
     *
     * @param source how to name the input in errors (a file name)
     * @throws PolicyParseException for the first bad document, naming source, document and field
     */
    public static List<NetworkPolicy> parse(String yaml, String source) {
        List<YamlDocuments.Document> documents;
        try {
            documents = YamlDocuments.read(yaml, source);
        } catch (YamlDocuments.SyntaxException e) {
            throw new PolicyParseException(e.getMessage(), "", e);
        }
        List<NetworkPolicy> policies = new ArrayList<>();
        for (YamlDocuments.Document document : documents) {
            policies.add(fromTree(document.root(), source + ": document " + document.number()));
        }
        return List.copyOf(policies);
    }

    /**
     * Maps one parsed document.
     *
     * @param where how to name the document in errors
     * @throws PolicyParseException naming the field
     */
    public static NetworkPolicy fromTree(JsonNode document, String where) {
        YamlField root = YamlField.root(document, Problems.throwing());
        String label = where;
        try {
            root.mapping("apiVersion", "kind", "metadata", "spec", "status");
            String apiVersion = root.get("apiVersion").requiredString();
            String kind = root.get("kind").requiredString();
            if (!KIND.equals(kind)) {
                root.get("kind").error("expected " + KIND + ", got '" + kind + "'");
            }
            if (!API_VERSION.equals(apiVersion)) {
                root.get("apiVersion").error("expected " + API_VERSION + ", got '" + apiVersion + "'");
            }
            ObjectFields.Meta meta = ObjectFields.metadata(root, ManifestKind.NETWORK_POLICY);
            label = where + " (" + KIND + " " + meta.namespace() + "/" + meta.name() + ")";
            return read(root, meta);
        } catch (Problems.FieldException e) {
            throw new PolicyParseException(label + ": " + e.describe(), e.path(), e);
        }
    }

    /** Reads a document whose kind, apiVersion and metadata were checked by the caller. */
    static NetworkPolicy read(YamlField root, ObjectFields.Meta meta) {
        root.mapping("apiVersion", "kind", "metadata", "spec", "status");
        YamlField spec = root.get("spec").mapping("podSelector", "policyTypes", "ingress", "egress");
        LabelSelector podSelector = ObjectFields.selector(spec.get("podSelector"));
        List<NetworkPolicyRule> ingress = rules(spec.get("ingress"), "from");
        List<NetworkPolicyRule> egress = rules(spec.get("egress"), "to");
        YamlField typesField = spec.get("policyTypes");
        Set<PolicyType> types;
        if (!typesField.present()) {
            types = NetworkPolicy.defaultPolicyTypes(egress);
        } else {
            types = EnumSet.noneOf(PolicyType.class);
            for (YamlField item : typesField.list()) {
                PolicyType type = item.parsed(PolicyType::parse, null);
                if (type == null) {
                    item.error("is required");
                } else if (!types.add(type)) {
                    item.error("'" + item.node().stringValue() + "' is listed twice");
                }
            }
            if (types.isEmpty()) {
                typesField.error("must not be empty (leave it out for the default)");
            }
        }
        return new NetworkPolicy(meta.namespace(), meta.name(), podSelector, types, ingress, egress);
    }

    private static List<NetworkPolicyRule> rules(YamlField field, String peersField) {
        List<NetworkPolicyRule> rules = new ArrayList<>();
        for (YamlField rule : field.list()) {
            if (!rule.present()) {
                rules.add(NetworkPolicyRule.allowAll());
                continue;
            }
            rule.mapping(peersField, "ports");
            List<NetworkPolicyPeer> peers = new ArrayList<>();
            for (YamlField peer : rule.get(peersField).list()) {
                peers.add(peer(peer));
            }
            List<NetworkPolicyPort> ports = new ArrayList<>();
            for (YamlField port : rule.get("ports").list()) {
                ports.add(port(port));
            }
            rules.add(new NetworkPolicyRule(peers, ports));
        }
        return rules;
    }

    private static NetworkPolicyPeer peer(YamlField field) {
        if (!field.present()) {
            field.error("a peer must set podSelector, namespaceSelector or ipBlock");
        }
        field.mapping("podSelector", "namespaceSelector", "ipBlock");
        YamlField pods = field.get("podSelector");
        YamlField namespaces = field.get("namespaceSelector");
        YamlField block = field.get("ipBlock");
        if (block.present()) {
            if (pods.present() || namespaces.present()) {
                field.error("ipBlock cannot be combined with podSelector or namespaceSelector in one peer");
            }
            return ipBlock(block);
        }
        if (!field.has("podSelector") && !field.has("namespaceSelector")) {
            field.error("a peer must set podSelector, namespaceSelector or ipBlock");
        }
        Optional<LabelSelector> namespaceSelector = field.has("namespaceSelector")
                ? Optional.of(ObjectFields.selector(namespaces))
                : Optional.empty();
        return new NetworkPolicyPeer.Pods(ObjectFields.selector(pods), namespaceSelector);
    }

    private static NetworkPolicyPeer ipBlock(YamlField field) {
        field.mapping("cidr", "except");
        Cidr cidr = cidr(field.get("cidr"));
        List<Cidr> except = new ArrayList<>();
        for (YamlField item : field.get("except").list()) {
            Cidr e = cidr(item);
            if (!cidr.contains(e)) {
                item.error(e + " is not inside cidr " + cidr);
            }
            except.add(e);
        }
        return new NetworkPolicyPeer.IpBlock(cidr, except);
    }

    /** An ipBlock CIDR; host bits are cleared, as the API server accepts them. */
    private static Cidr cidr(YamlField field) {
        if (!field.present()) {
            field.error("is required");
        }
        return field.parsed(Cidr::parse, null).masked();
    }

    private static NetworkPolicyPort port(YamlField field) {
        if (!field.present()) {
            return NetworkPolicyPort.all(Protocol.TCP);
        }
        field.mapping("protocol", "port", "endPort");
        Protocol protocol = ObjectFields.protocol(field.get("protocol"));
        YamlField portField = field.get("port");
        YamlField endField = field.get("endPort");
        int endPort = endField.integer(0, Integer.MIN_VALUE, Integer.MAX_VALUE);
        if (!portField.present()) {
            if (endPort != 0) {
                endField.error("needs a numeric port");
            }
            return NetworkPolicyPort.all(protocol);
        }
        if (portField.isString()) {
            String name = portField.string("");
            if (endPort != 0) {
                endField.error("cannot be used with the named port '" + name + "'");
            }
            return portField.parsed(text -> NetworkPolicyPort.named(protocol, text), null);
        }
        int port = portField.integer(0, Integer.MIN_VALUE, Integer.MAX_VALUE);
        if (port < 1 || port > 65535) {
            portField.error(port + " is not a port (1..65535)");
        }
        if (endPort != 0 && (endPort < port || endPort > 65535)) {
            endField.error(endPort + (endPort < port ? " is below port " + port : " is not a port (1..65535)"));
        }
        return NetworkPolicyPort.range(protocol, port, endPort);
    }
}
