FROM alpine AS one
RUN true

FROM one AS two
COPY --from=7 /x /x
