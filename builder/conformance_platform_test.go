package builder

// platformConformanceCases spell one target platform in the ways users do.
// BuildKit normalises each (containerd's platforms package): the config,
// TARGETPLATFORM and TARGETVARIANT say linux/arm64 for linux/arm64/v8 and
// linux/aarch64, linux/arm/v7 for linux/arm, linux/amd64 for x86_64. The
// steps have no RUN, so no emulator is needed.
var platformConformanceCases = func() []conformanceCase {
	const df = "FROM scratch\n" +
		"ARG TARGETPLATFORM TARGETOS TARGETARCH TARGETVARIANT BUILDPLATFORM BUILDARCH BUILDVARIANT\n" +
		"COPY hello.txt /\n" +
		"LABEL tp=$TARGETPLATFORM tos=$TARGETOS ta=$TARGETARCH tv=$TARGETVARIANT bp=$BUILDPLATFORM ba=$BUILDARCH bv=$BUILDVARIANT\n"
	var cs []conformanceCase
	for _, p := range []string{"linux/arm64/v8", "linux/aarch64", "linux/arm64", "linux/arm", "linux/armhf", "linux/x86_64", "linux/arm64/v9"} {
		cs = append(cs, conformanceCase{name: "platform-" + p, dockerfile: df, files: map[string]string{"hello.txt": "hi\n"}, platform: p})
	}
	// FROM --platform names the stage's platform: the final image is that
	// platform's, normalised.
	cs = append(cs,
		conformanceCase{name: "platform-from-flag-aarch64",
			dockerfile: "FROM --platform=linux/aarch64 scratch\nCOPY hello.txt /\n", files: map[string]string{"hello.txt": "hi\n"}},
		conformanceCase{name: "platform-from-flag-arm64-v8",
			dockerfile: "FROM --platform=linux/arm64/v8 scratch\nARG TARGETPLATFORM\nCOPY hello.txt /\nLABEL tp=$TARGETPLATFORM\n",
			files:      map[string]string{"hello.txt": "hi\n"}, platform: "linux/arm64/v8"},
	)
	return cs
}()

func init() { conformanceCases = append(conformanceCases, platformConformanceCases...) }
