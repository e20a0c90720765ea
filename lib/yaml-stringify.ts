/**
 * @module
 * The one YAML serializer for everything kube-devops prints (gen/to-yaml.ts wraps it for the
 * generators): insertion key order, no line folding, no anchors, and every string that a YAML 1.1
 * reader would take for something else quoted. kubectl, Helm and the API server read YAML with
 * go-yaml's 1.1-style resolver: a plain `on`, `yes`, `n`, `1_000` or `0o17` is a bool or a number
 * there, and kubectl refuses it where a string belongs ("cannot unmarshal bool into … string").
 */
import { Schema, stringify, type CreateNodeOptions, type ScalarTag, type SchemaOptions, type ToStringOptions } from "yaml";

/**
 * What go-yaml's resolver (v2, which kubectl uses, and v3) reads as a number beyond YAML 1.1's
 * own rules: a plain scalar starting with a digit or sign is parsed by Go's strconv with every
 * `_` removed — base prefixes in either case and with signs (`0O17`, `0X1F`, `-0o17`, `0b-1`),
 * underscores anywhere after the first character (`1e_3`, `-_1`) — and one starting with `.`
 * by strconv.ParseFloat (`.5e3`); `<<` is a merge key even as a plain map key.
 */
const GO_YAML_NUMBER: ScalarTag = {
  tag: "tag:yaml.org,2002:float",
  default: true,
  test: new RegExp(
    "^(?:<<" +
      "|\\.[0-9]+(?:[eE][-+]?[0-9]+)?" +
      "|(?=[-+0-9])[-+]?_*(?:" +
      "0_*(?:[xX]_*[-+]?_*[0-9a-fA-F][_0-9a-fA-F]*|[bB]_*[-+]?_*[01][_01]*|[oO]_*[-+]?_*[0-7][_0-7]*)" +
      "|(?:\\._*[0-9][_0-9]*|[0-9][_0-9]*(?:\\.[_0-9]*)?)(?:[eE]_*[-+]?_*[0-9][_0-9]*)?" +
      "))$",
  ),
  resolve: (value) => value,
};

/**
 * Strings are quoted when the YAML 1.2 core schema (the default), the YAML 1.1 schema (the
 * `yaml` library's `compat`: bools such as y/n/on/off, sexagesimals, timestamps, 1.1 octals)
 * or go-yaml's number syntax would resolve them to another type.
 */
const OPTIONS: CreateNodeOptions & SchemaOptions & ToStringOptions = {
  lineWidth: 0,
  minContentWidth: 0,
  aliasDuplicateObjects: false,
  compat: [...new Schema({ schema: "yaml-1.1" }).tags, GO_YAML_NUMBER],
};

/** Serialises one value as a YAML document (no leading `---`), newline-terminated. */
export function stringifyYaml(value: unknown): string {
  return stringify(value, OPTIONS);
}

/** Serialises documents joined by `---` lines; an empty string when there are none. */
export function stringifyYamlDocuments(docs: readonly unknown[]): string {
  return docs.map(stringifyYaml).join("---\n");
}
