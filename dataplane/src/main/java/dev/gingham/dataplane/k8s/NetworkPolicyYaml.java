package dev.gingham.dataplane.k8s;

import dev.gingham.packet.Cidr;
import tools.jackson.core.JacksonException;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.MappingIterator;
import tools.jackson.dataformat.yaml.YAMLMapper;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads networking.k8s.io/v1 NetworkPolicy manifests, as users write them for kubectl, into
 * {@link NetworkPolicy} records, validating what the API server validates.
 *
 * <p>Why a hand-written mapping over Jackson's tree rather than data binding: every error must
 * name the field a user has to fix ({@code spec.ingress[0].from[1].ipBlock.except[0]}) and say
 * what is wrong in the user's terms, and unknown fields are errors (a typo such as
 * {@code ingres:} would otherwise silently leave a namespace open), as kubectl's strict field
 * validation treats them. Metadata fields other than name and namespace are ignored.
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
    public static final String DEFAULT_NAMESPACE = "default";

    private static final YAMLMapper MAPPER = YAMLMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();
    private static final Pattern DNS_SUBDOMAIN = Pattern.compile("[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?");
    private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");

    private NetworkPolicyYaml() {
    }

    /**
     * Parses every document of {@code yaml}.
     *
     * @param source how to name the input in errors (a file name)
     * @throws PolicyParseException for the first bad document, naming source, document and field
     */
    public static List<NetworkPolicy> parse(String yaml, String source) {
        List<NetworkPolicy> policies = new ArrayList<>();
        int document = 0;
        try (MappingIterator<JsonNode> documents = MAPPER.readerFor(JsonNode.class).readValues(yaml)) {
            while (documents.hasNextValue()) {
                JsonNode node = documents.nextValue();
                document++;
                if (node == null || node.isNull() || node.isMissingNode()) {
                    continue; // an empty document ("---" at the end of a file)
                }
                policies.add(fromTree(node, source + ": document " + document));
            }
        } catch (JacksonException e) {
            throw new PolicyParseException(source + ": document " + Math.max(document, 1) + ": not valid YAML: "
                    + e.getOriginalMessage() + locationOf(e), "", e);
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
        String label = where;
        try {
            Fields top = Fields.of(document, "", "apiVersion", "kind", "metadata", "spec", "status");
            String apiVersion = requiredString(document, "apiVersion");
            String kind = requiredString(document, "kind");
            if (!KIND.equals(kind)) {
                throw new FieldError("kind", "expected " + KIND + ", got '" + kind + "'");
            }
            if (!API_VERSION.equals(apiVersion)) {
                throw new FieldError("apiVersion", "expected " + API_VERSION + ", got '" + apiVersion + "'");
            }
            JsonNode metadata = top.object("metadata", true);
            String name = requiredString(metadata, "metadata.name", "name");
            if (!DNS_SUBDOMAIN.matcher(name).matches()) {
                throw new FieldError("metadata.name", "'" + name + "' is not a DNS subdomain (lowercase letters, digits, '-', '.')");
            }
            String namespace = optionalString(metadata, "metadata.namespace", "namespace", DEFAULT_NAMESPACE);
            if (!DNS_LABEL.matcher(namespace).matches()) {
                throw new FieldError("metadata.namespace", "'" + namespace + "' is not a DNS label");
            }
            label = where + " (" + KIND + " " + namespace + "/" + name + ")";
            JsonNode spec = top.object("spec", false);
            return spec(spec, namespace, name);
        } catch (FieldError e) {
            throw new PolicyParseException(label + ": " + e.path + ": " + e.getMessage(), e.path, e);
        }
    }

    private static NetworkPolicy spec(JsonNode spec, String namespace, String name) {
        Fields fields = Fields.of(spec, "spec", "podSelector", "policyTypes", "ingress", "egress");
        LabelSelector podSelector = selector(fields.get("podSelector"), "spec.podSelector");
        List<NetworkPolicyRule> ingress = rules(fields.get("ingress"), "spec.ingress", "from");
        List<NetworkPolicyRule> egress = rules(fields.get("egress"), "spec.egress", "to");
        Set<PolicyType> types;
        JsonNode typesNode = fields.get("policyTypes");
        if (absent(typesNode)) {
            types = NetworkPolicy.defaultPolicyTypes(egress);
        } else {
            types = EnumSet.noneOf(PolicyType.class);
            List<JsonNode> items = list(typesNode, "spec.policyTypes");
            for (int i = 0; i < items.size(); i++) {
                String path = "spec.policyTypes[" + i + "]";
                String text = string(items.get(i), path);
                try {
                    if (!types.add(PolicyType.parse(text))) {
                        throw new FieldError(path, "'" + text + "' is listed twice");
                    }
                } catch (IllegalArgumentException e) {
                    throw new FieldError(path, e.getMessage());
                }
            }
            if (types.isEmpty()) {
                throw new FieldError("spec.policyTypes", "must not be empty (leave it out for the default)");
            }
        }
        return new NetworkPolicy(namespace, name, podSelector, types, ingress, egress);
    }

    private static List<NetworkPolicyRule> rules(JsonNode node, String path, String peersField) {
        List<NetworkPolicyRule> rules = new ArrayList<>();
        if (absent(node)) {
            return rules;
        }
        List<JsonNode> items = list(node, path);
        for (int i = 0; i < items.size(); i++) {
            String rulePath = path + "[" + i + "]";
            JsonNode rule = items.get(i);
            if (absent(rule)) {
                rules.add(NetworkPolicyRule.allowAll());
                continue;
            }
            Fields fields = Fields.of(rule, rulePath, peersField, "ports");
            List<NetworkPolicyPeer> peers = new ArrayList<>();
            JsonNode peersNode = fields.get(peersField);
            if (!absent(peersNode)) {
                List<JsonNode> peerItems = list(peersNode, rulePath + "." + peersField);
                for (int p = 0; p < peerItems.size(); p++) {
                    peers.add(peer(peerItems.get(p), rulePath + "." + peersField + "[" + p + "]"));
                }
            }
            List<NetworkPolicyPort> ports = new ArrayList<>();
            JsonNode portsNode = fields.get("ports");
            if (!absent(portsNode)) {
                List<JsonNode> portItems = list(portsNode, rulePath + ".ports");
                for (int p = 0; p < portItems.size(); p++) {
                    ports.add(port(portItems.get(p), rulePath + ".ports[" + p + "]"));
                }
            }
            rules.add(new NetworkPolicyRule(peers, ports));
        }
        return rules;
    }

    private static NetworkPolicyPeer peer(JsonNode node, String path) {
        if (absent(node)) {
            throw new FieldError(path, "a peer must set podSelector, namespaceSelector or ipBlock");
        }
        Fields fields = Fields.of(node, path, "podSelector", "namespaceSelector", "ipBlock");
        JsonNode pods = fields.get("podSelector");
        JsonNode namespaces = fields.get("namespaceSelector");
        JsonNode block = fields.get("ipBlock");
        if (!absent(block)) {
            if (!absent(pods) || !absent(namespaces)) {
                throw new FieldError(path, "ipBlock cannot be combined with podSelector or namespaceSelector in one peer");
            }
            return ipBlock(block, path + ".ipBlock");
        }
        if (!fields.has("podSelector") && !fields.has("namespaceSelector")) {
            throw new FieldError(path, "a peer must set podSelector, namespaceSelector or ipBlock");
        }
        LabelSelector podSelector = selector(pods, path + ".podSelector");
        Optional<LabelSelector> namespaceSelector = fields.has("namespaceSelector")
                ? Optional.of(selector(namespaces, path + ".namespaceSelector"))
                : Optional.empty();
        return new NetworkPolicyPeer.Pods(podSelector, namespaceSelector);
    }

    private static NetworkPolicyPeer ipBlock(JsonNode node, String path) {
        Fields fields = Fields.of(node, path, "cidr", "except");
        Cidr cidr = cidr(fields.get("cidr"), path + ".cidr", true);
        List<Cidr> except = new ArrayList<>();
        JsonNode exceptNode = fields.get("except");
        if (!absent(exceptNode)) {
            List<JsonNode> items = list(exceptNode, path + ".except");
            for (int i = 0; i < items.size(); i++) {
                String itemPath = path + ".except[" + i + "]";
                Cidr e = cidr(items.get(i), itemPath, true);
                if (!cidr.contains(e)) {
                    throw new FieldError(itemPath, e + " is not inside cidr " + cidr);
                }
                except.add(e);
            }
        }
        return new NetworkPolicyPeer.IpBlock(cidr, except);
    }

    private static Cidr cidr(JsonNode node, String path, boolean required) {
        if (absent(node) && required) {
            throw new FieldError(path, "is required");
        }
        String text = string(node, path);
        try {
            return Cidr.parse(text).masked();
        } catch (IllegalArgumentException e) {
            throw new FieldError(path, e.getMessage());
        }
    }

    private static NetworkPolicyPort port(JsonNode node, String path) {
        if (absent(node)) {
            return NetworkPolicyPort.all(Protocol.TCP);
        }
        Fields fields = Fields.of(node, path, "protocol", "port", "endPort");
        Protocol protocol = Protocol.TCP;
        JsonNode protocolNode = fields.get("protocol");
        if (!absent(protocolNode)) {
            try {
                protocol = Protocol.parse(string(protocolNode, path + ".protocol"));
            } catch (IllegalArgumentException e) {
                throw new FieldError(path + ".protocol", e.getMessage());
            }
        }
        JsonNode portNode = fields.get("port");
        JsonNode endNode = fields.get("endPort");
        int endPort = absent(endNode) ? 0 : integer(endNode, path + ".endPort");
        if (absent(portNode)) {
            if (endPort != 0) {
                throw new FieldError(path + ".endPort", "needs a numeric port");
            }
            return NetworkPolicyPort.all(protocol);
        }
        if (portNode.isString()) {
            String name = portNode.stringValue();
            if (endPort != 0) {
                throw new FieldError(path + ".endPort", "cannot be used with the named port '" + name + "'");
            }
            try {
                return NetworkPolicyPort.named(protocol, name);
            } catch (IllegalArgumentException e) {
                throw new FieldError(path + ".port", e.getMessage());
            }
        }
        int port = integer(portNode, path + ".port");
        if (port < 1 || port > 65535) {
            throw new FieldError(path + ".port", port + " is not a port (1..65535)");
        }
        if (endPort != 0 && (endPort < port || endPort > 65535)) {
            throw new FieldError(path + ".endPort", endPort + (endPort < port ? " is below port " + port : " is not a port (1..65535)"));
        }
        return NetworkPolicyPort.range(protocol, port, endPort);
    }

    private static LabelSelector selector(JsonNode node, String path) {
        if (absent(node)) {
            return LabelSelector.ALL;
        }
        Fields fields = Fields.of(node, path, "matchLabels", "matchExpressions");
        Map<String, String> labels = new LinkedHashMap<>();
        JsonNode labelsNode = fields.get("matchLabels");
        if (!absent(labelsNode)) {
            if (!labelsNode.isObject()) {
                throw new FieldError(path + ".matchLabels", "must be a map of label keys to values");
            }
            for (Map.Entry<String, JsonNode> e : labelsNode.properties()) {
                labels.put(e.getKey(), string(e.getValue(), path + ".matchLabels." + e.getKey()));
            }
        }
        List<LabelSelectorRequirement> expressions = new ArrayList<>();
        JsonNode expressionsNode = fields.get("matchExpressions");
        if (!absent(expressionsNode)) {
            List<JsonNode> items = list(expressionsNode, path + ".matchExpressions");
            for (int i = 0; i < items.size(); i++) {
                String itemPath = path + ".matchExpressions[" + i + "]";
                Fields expression = Fields.of(items.get(i), itemPath, "key", "operator", "values");
                String key = requiredString(items.get(i), itemPath + ".key", "key");
                String operatorText = requiredString(items.get(i), itemPath + ".operator", "operator");
                List<String> values = new ArrayList<>();
                JsonNode valuesNode = expression.get("values");
                if (!absent(valuesNode)) {
                    List<JsonNode> valueItems = list(valuesNode, itemPath + ".values");
                    for (int v = 0; v < valueItems.size(); v++) {
                        values.add(string(valueItems.get(v), itemPath + ".values[" + v + "]"));
                    }
                }
                try {
                    expressions.add(new LabelSelectorRequirement(key, LabelSelectorRequirement.Operator.parse(operatorText), values));
                } catch (IllegalArgumentException e) {
                    String field = e.getMessage().startsWith("values") ? ".values" : ".operator";
                    throw new FieldError(itemPath + field, e.getMessage());
                }
            }
        }
        return new LabelSelector(labels, expressions);
    }

    // ---- small readers -------------------------------------------------------------------------

    private static boolean absent(JsonNode node) {
        return node == null || node.isNull() || node.isMissingNode();
    }

    private static List<JsonNode> list(JsonNode node, String path) {
        if (!node.isArray()) {
            throw new FieldError(path, "must be a list");
        }
        return new ArrayList<>(node.values());
    }

    private static String string(JsonNode node, String path) {
        if (absent(node)) {
            throw new FieldError(path, "is required");
        }
        if (!node.isString()) {
            throw new FieldError(path, "must be a string, not " + node.getNodeType().name().toLowerCase()
                    + (node.isNumber() || node.isBoolean() ? " (quote it)" : ""));
        }
        return node.stringValue();
    }

    private static int integer(JsonNode node, String path) {
        if (!node.isIntegralNumber() || !node.canConvertToInt()) {
            throw new FieldError(path, "must be an integer, not " + (node.isString() ? "'" + node.stringValue() + "'" : node.toString()));
        }
        return node.intValue();
    }

    private static String requiredString(JsonNode parent, String field) {
        return requiredString(parent, field, field);
    }

    private static String requiredString(JsonNode parent, String path, String field) {
        JsonNode node = parent.get(field);
        if (absent(node)) {
            throw new FieldError(path, "is required");
        }
        String text = string(node, path);
        if (text.isEmpty()) {
            throw new FieldError(path, "must not be empty");
        }
        return text;
    }

    private static String optionalString(JsonNode parent, String path, String field, String fallback) {
        JsonNode node = parent.get(field);
        return absent(node) ? fallback : string(node, path);
    }

    private static String locationOf(JacksonException e) {
        return e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")";
    }

    /** The fields of one mapping, checked against the names the API defines there. */
    private record Fields(JsonNode node, String path) {
        static Fields of(JsonNode node, String path, String... known) {
            if (!node.isObject()) {
                throw new FieldError(path.isEmpty() ? "(document)" : path, "must be a mapping");
            }
            for (String name : node.propertyNames()) {
                if (!List.of(known).contains(name)) {
                    throw new FieldError(path.isEmpty() ? name : path + "." + name,
                            "unknown field (expected one of " + String.join(", ", known) + ")");
                }
            }
            return new Fields(node, path);
        }

        JsonNode get(String name) {
            return node.get(name);
        }

        boolean has(String name) {
            return node.has(name);
        }

        JsonNode object(String name, boolean required) {
            JsonNode child = node.get(name);
            String childPath = path.isEmpty() ? name : path + "." + name;
            if (absent(child)) {
                if (required) {
                    throw new FieldError(childPath, "is required");
                }
                return MAPPER.createObjectNode();
            }
            if (!child.isObject()) {
                throw new FieldError(childPath, "must be a mapping");
            }
            return child;
        }
    }

    /** An error at one field; turned into a {@link PolicyParseException} with the document's name. */
    private static final class FieldError extends RuntimeException {
        final String path;

        FieldError(String path, String message) {
            super(message, null, false, false);
            this.path = path;
        }
    }
}
