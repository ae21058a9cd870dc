package dev.gingham.dataplane.k8s;

import dev.gingham.dataplane.config.Problems;
import dev.gingham.dataplane.config.YamlDocuments;
import dev.gingham.dataplane.config.YamlField;
import dev.gingham.nat.IpAddress;
import dev.gingham.packet.Cidr;
import dev.gingham.packet.header.Addresses;

import java.util.ArrayList;
import java.util.List;

/**
 * Reads v1 Node manifests: pod CIDRs, InternalIP and ExternalIP addresses, and the annotations
 * flannel and Gingham put on nodes (see {@link Node}).
 */
final class NodeYaml {
    private NodeYaml() {
    }

    static Node node(YamlField root, ObjectFields.Meta meta) {
        root.mapping("apiVersion", "kind", "metadata", "spec", "status");
        YamlField spec = root.get("spec").mapping("configSource", "externalID", "podCIDR", "podCIDRs", "providerID", "taints",
                "unschedulable");
        YamlField podCidr = spec.get("podCIDR");
        YamlField podCidrsField = spec.get("podCIDRs");
        List<Cidr> podCidrs = new ArrayList<>();
        for (YamlField item : podCidrsField.list()) {
            Cidr cidr = ObjectFields.cidr(item);
            if (podCidrs.stream().anyMatch(c -> c.ipv4() == cidr.ipv4())) {
                item.error("a second " + (cidr.ipv4() ? "IPv4" : "IPv6") + " CIDR: at most one per family");
            }
            podCidrs.add(cidr);
        }
        if (podCidr.present()) {
            Cidr single = ObjectFields.cidr(podCidr);
            if (podCidrs.isEmpty()) {
                podCidrs.add(single);
            } else if (!podCidrs.getFirst().equals(single)) {
                podCidrsField.list().getFirst().error(podCidrs.getFirst() + " must equal spec.podCIDR " + single);
            }
        }
        List<IpAddress> internal = new ArrayList<>();
        List<IpAddress> external = new ArrayList<>();
        for (YamlField item : root.get("status").anyMapping().get("addresses").list()) {
            item.mapping("address", "type");
            String type = item.get("type").requiredString();
            if (type.equals("InternalIP") || type.equals("ExternalIP")) {
                (type.equals("InternalIP") ? internal : external).add(ObjectFields.address(item.get("address")));
            } else {
                item.get("address").requiredString(); // Hostname, InternalDNS, ExternalDNS: names, not used
            }
        }
        YamlField annotations = root.get("metadata").get("annotations");
        YamlField overwrite = annotations.entry(Node.FLANNEL_PUBLIC_IP_OVERWRITE);
        IpAddress publicIp = (overwrite.present() ? overwrite : annotations.entry(Node.FLANNEL_PUBLIC_IP))
                .parsed(IpAddress::parse, null);
        long vtepMac = vtepMac(annotations.entry(Node.FLANNEL_BACKEND_DATA));
        long underlayMac = annotations.entry(Node.UNDERLAY_MAC).parsed(Addresses::parseMac, 0L);
        return new Node(meta.name(), meta.labels(), podCidrs, internal, external, publicIp, vtepMac, underlayMac);
    }

    /** flannel's backend-data: a JSON object such as {"VNI":1,"VtepMAC":"aa:bb:cc:dd:ee:ff"} (host-gw nodes write null). */
    private static long vtepMac(YamlField field) {
        String json = field.string(null);
        if (json == null || json.isBlank() || json.equals("null")) {
            return 0;
        }
        List<YamlDocuments.Document> documents;
        try {
            documents = YamlDocuments.read(json, "backend-data");
        } catch (YamlDocuments.SyntaxException e) {
            field.error("is not JSON: " + e.getMessage().substring("backend-data: document 1: ".length()));
            return 0;
        }
        if (documents.size() != 1 || !documents.getFirst().root().isObject()) {
            field.error("must be a JSON object such as {\"VNI\":1,\"VtepMAC\":\"aa:bb:cc:dd:ee:ff\"}");
            return 0;
        }
        Problems inner = Problems.collecting();
        long mac = YamlField.root(documents.getFirst().root(), inner).get("VtepMAC").parsed(Addresses::parseMac, 0L);
        if (!inner.isEmpty()) {
            field.error("VtepMAC: " + inner.all().getFirst().message());
        }
        return mac;
    }
}
