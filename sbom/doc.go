// Package sbom owns software bills of materials: cataloging the packages in
// one container image with syft's library and encoding the result as SPDX 2.3
// JSON, CycloneDX 1.6 JSON or syft JSON, ready to be attested.
//
// Generate works on an image that is already in hand (normally straight from
// the oci: layout the build wrote, loaded with publish.Load). It reads every
// layer once, through go-containerregistry, and never pulls anything back from
// a registry: the SBOM binds to the manifest digest computed locally, which is
// the release's unit of truth.
//
// Output is deterministic: the same image cataloged by the same syft version
// encodes to the same bytes. The only values syft would make up per run (the
// document's creation time and its SPDX namespace / CycloneDX serial number)
// are fixed here, from the image config's creation time and from the manifest
// digest. That is what lets a re-run of a release recognise an attestation it
// already made, and lets tests compare against golden files.
//
// It is also what makes the documents cacheable: with WithCacheDir, an image
// cataloged before (same manifest digest, same syft version, same name and
// tool in the documents) is not read again. It also keeps the catalog of an
// image's base layers, by their ChainID, once a second image on them is
// cataloged (the first only marks them seen), and a later image on that base
// catalogs only its new layers when they cannot change or be related to
// what the base's catalogers found (see catalogByLayers): syft catalogs the
// squashed file system, where a later layer can change what an earlier
// one's package database says, so anything else catalogs the whole image.
//
// Only the syft packages needed for an image already in memory are imported
// (the library entry point, the stereoscope image reader, the format model
// converters). syft's daemon, registry and archive source providers are never
// called from here, but syft's entry point package imports them, so linking
// this package still costs their package init (about 13 ms on the CI machine
// class, measured with GODEBUG=inittrace=1 on testdata/inittrace).
package sbom
