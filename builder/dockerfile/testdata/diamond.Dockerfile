FROM alpine AS base
RUN echo base

FROM base AS left
RUN echo left > /left

FROM base AS right
RUN echo right > /right

FROM scratch AS unused
COPY --from=0 /etc /etc

FROM base AS final
COPY --from=left /left /left
RUN --mount=type=bind,from=right,source=/right,target=/mnt/right cat /mnt/right
COPY --from=busybox:1.36 /bin/busybox /bin/busybox
