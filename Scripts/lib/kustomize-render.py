#!/usr/bin/env python3
"""Renders manifest/deploy/k8s the way `kustomize build` does, for what its
kustomization.yaml uses: `resources` (files, in order) and `images` (name ->
newName/newTag/digest). Anything else in the kustomization is refused, so the
check never validates something other than what kustomize would produce.

Usage: kustomize-render.py DIR > rendered.yaml
"""
import os
import sys

import yaml

SUPPORTED = {"apiVersion", "kind", "resources", "images"}


def render(directory):
    with open(os.path.join(directory, "kustomization.yaml")) as handle:
        kustomization = yaml.safe_load(handle)
    unsupported = set(kustomization) - SUPPORTED
    if unsupported:
        raise SystemExit(f"kustomize-render: unsupported fields {sorted(unsupported)}: use kustomize itself")
    images = {image["name"]: image for image in kustomization.get("images", [])}
    documents = []
    for resource in kustomization["resources"]:
        with open(os.path.join(directory, resource)) as handle:
            documents += [doc for doc in yaml.safe_load_all(handle) if doc]
    for doc in documents:
        for container in containers(doc):
            container["image"] = retag(container["image"], images)
    return documents


def containers(doc):
    spec = doc.get("spec", {}).get("template", {}).get("spec", {})
    return spec.get("containers", []) + spec.get("initContainers", [])


def retag(image, images):
    name, tag = image, None
    if "@" in name:
        name, tag = name.split("@", 1)[0], None
    elif ":" in name.rsplit("/", 1)[-1]:
        name, tag = name.rsplit(":", 1)
    rule = images.get(name)
    if rule is None:
        return image
    name = rule.get("newName", name)
    if "digest" in rule:
        return f"{name}@{rule['digest']}"
    tag = rule.get("newTag", tag)
    return f"{name}:{tag}" if tag else name


if __name__ == "__main__":
    yaml.safe_dump_all(render(sys.argv[1]), sys.stdout, sort_keys=False)
