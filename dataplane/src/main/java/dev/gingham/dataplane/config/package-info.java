/**
 * The node configuration file ({@code NodeConfig}): read, validated as a whole with every problem
 * named by its YAML path, and turned into the modules' own configurations. Also the YAML readers
 * the manifests share ({@code YamlDocuments}, {@code YamlField}, {@code Problems}).
 */
package dev.gingham.dataplane.config;
