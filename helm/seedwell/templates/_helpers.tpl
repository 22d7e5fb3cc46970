{{/*
Names, labels and the pieces the Deployment and the node agents' DaemonSet share.
*/}}

{{- define "seedwell.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "seedwell.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "seedwell.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* seedwell.selectorLabels: (dict "root" $ "component" "server") */}}
{{- define "seedwell.selectorLabels" -}}
app.kubernetes.io/name: {{ include "seedwell.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* seedwell.labels: (dict "root" $ "component" "server") */}}
{{- define "seedwell.labels" -}}
helm.sh/chart: {{ include "seedwell.chart" .root }}
{{ include "seedwell.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/part-of: seedwell
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
{{- end -}}

{{- define "seedwell.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "seedwell.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "seedwell.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{/* The Secret holding the admin token, if any: what a ServiceMonitor authenticates with. */}}
{{- define "seedwell.metricsTokenSecret" -}}
{{- default .Values.admin.existingSecret .Values.metrics.serviceMonitor.tokenSecret -}}
{{- end -}}

{{- define "seedwell.adminScheme" -}}
{{- if .Values.admin.tlsSecret }}HTTPS{{ else }}HTTP{{ end -}}
{{- end -}}

{{/*
seedwell.validate: what the schema cannot say. Fails the render with the reason.
*/}}
{{- define "seedwell.validate" -}}
{{- $v := .Values -}}
{{- if and $v.admin.tokenHash $v.admin.existingSecret -}}
{{- fail "admin: give tokenHash or existingSecret, not both" -}}
{{- end -}}
{{- if has "proxy" $v.guest.identity -}}
{{- if not $v.guest.proxySecret.existingSecret -}}
{{- fail "guest.identity proxy needs guest.proxySecret.existingSecret (the Neutron metadata proxy's shared secret)" -}}
{{- end -}}
{{- end -}}
{{- if and (has "source-address" $v.guest.identity) (ne $v.guest.service.type "ClusterIP") (eq $v.guest.service.externalTrafficPolicy "Cluster") -}}
{{- fail "guest.identity source-address needs the guest's real address: guest.service.externalTrafficPolicy must be Local" -}}
{{- end -}}
{{- $drain := add $v.preStopSleepSeconds (div (add $v.server.shutdownTimeoutMs 999) 1000) 2 -}}
{{- if lt (int $v.terminationGracePeriodSeconds) (int $drain) -}}
{{- fail (printf "terminationGracePeriodSeconds (%d) must cover preStopSleepSeconds + server.shutdownTimeoutMs + 2 s (%d)" (int $v.terminationGracePeriodSeconds) (int $drain)) -}}
{{- end -}}
{{- if gt (int $v.server.rateBytesPerSecond) (int $v.server.rateBurstBytes) -}}
{{- fail "server.rateBurstBytes must be >= server.rateBytesPerSecond" -}}
{{- end -}}
{{- if and (gt (int $v.server.globalRateBytesPerSecond) 0) (gt (int $v.server.globalRateBytesPerSecond) (int $v.server.globalBurstBytes)) -}}
{{- fail "server.globalBurstBytes must be >= server.globalRateBytesPerSecond" -}}
{{- end -}}
{{- range $v.server.requireSources -}}
{{- if not (has . $v.server.sources) -}}
{{- fail (printf "server.requireSources: %s is not in server.sources" .) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
seedwell.serveArgs: the settings of `seedwell serve` both workloads share, as flags (a flag
seedwell does not know stops it at start, so a mistake here cannot pass silently). The database
URL, the replica id and the node name come from the environment (seedwell.env).
Takes (dict "root" $ "guestHost" ADDRESS): the node agents keep their guest listener on loopback.
*/}}
{{- define "seedwell.serveArgs" -}}
{{- $v := .root.Values -}}
- serve
- --state-dir=/var/lib/seedwell
- --guest-listen={{ .guestHost }}:{{ $v.guest.port }}
- --admin-listen=0.0.0.0:{{ $v.admin.port }}
{{- if $v.admin.tokenHash }}
- --admin-token-hash={{ $v.admin.tokenHash }}
{{- else }}
- --admin-token-file=/var/run/secrets/seedwell/admin/token
{{- end }}
{{- if $v.admin.tlsSecret }}
- --admin-tls-cert=/var/run/secrets/seedwell/admin-tls/tls.crt
- --admin-tls-key=/var/run/secrets/seedwell/admin-tls/tls.key
{{- end }}
- --database-password-file=/var/run/secrets/seedwell/database/password
- --key-encryption-key-file=/var/run/secrets/seedwell/key-encryption-key/key
{{- with $v.guest.publicURL }}
- --public-url={{ . }}
{{- end }}
- --guest-identity={{ join "," $v.guest.identity }}
{{- with $v.guest.trustedProxies }}
- --guest-trusted-proxies={{ join "," . }}
{{- end }}
- --guest-untrusted-forwarded-for={{ $v.guest.untrustedForwardedFor }}
{{- if $v.guest.proxySecret.existingSecret }}
- --guest-proxy-secret-file=/var/run/secrets/seedwell/guest-proxy/secret
{{- end }}
{{- if $v.guest.allowAnonymous }}
- --guest-allow-anonymous
{{- end }}
- --guest-max-bytes={{ int $v.guest.maxBytes }}
- --sources={{ join "," $v.server.sources }}
{{- with $v.server.requireSources }}
- --require-sources={{ join "," . }}
{{- end }}
{{- if $v.server.allowKernelOnly }}
- --allow-kernel-only
{{- end }}
- --reseed-interval={{ int $v.server.reseedIntervalSeconds }}
- --reseed-bytes={{ int64 $v.server.reseedBytes }}
- --fail-closed-grace={{ int $v.server.failClosedGraceSeconds }}
- --rate-bytes-per-second={{ int64 $v.server.rateBytesPerSecond }}
- --rate-burst-bytes={{ int64 $v.server.rateBurstBytes }}
- --global-rate-bytes-per-second={{ int64 $v.server.globalRateBytesPerSecond }}
- --global-burst-bytes={{ int64 $v.server.globalBurstBytes }}
- --http-threads={{ int $v.server.httpThreads }}
- --max-connections={{ int $v.server.maxConnections }}
- --max-connections-per-peer={{ int $v.server.maxConnectionsPerPeer }}
- --event-loops={{ int $v.server.eventLoops }}
- --request-timeout-ms={{ int $v.server.requestTimeoutMs }}
- --shutdown-timeout-ms={{ int $v.server.shutdownTimeoutMs }}
- --log-level={{ $v.server.logLevel }}
{{- end -}}

{{/* seedwell.env: settings from Secrets and the downward API, named SEEDWELL_<FLAG>. */}}
{{- define "seedwell.env" -}}
- name: SEEDWELL_DATABASE
  valueFrom:
    secretKeyRef:
      name: {{ .Values.database.existingSecret }}
      key: {{ .Values.database.urlKey }}
- name: SEEDWELL_REPLICA_ID
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
{{- end -}}

{{/* seedwell.volumes: the Secrets as files (group-readable by fsGroup only), state and /tmp. */}}
{{- define "seedwell.volumes" -}}
{{- $v := .Values -}}
- name: state
  emptyDir:
    sizeLimit: 64Mi
- name: tmp
  emptyDir:
    sizeLimit: 16Mi
- name: database
  secret:
    secretName: {{ $v.database.existingSecret }}
    defaultMode: 0440
    items:
      - key: {{ $v.database.passwordKey }}
        path: password
- name: key-encryption-key
  secret:
    secretName: {{ $v.keyEncryptionKey.existingSecret }}
    defaultMode: 0440
    items:
      - key: {{ $v.keyEncryptionKey.key }}
        path: key
{{- if $v.admin.existingSecret }}
- name: admin-token
  secret:
    secretName: {{ $v.admin.existingSecret }}
    defaultMode: 0440
    items:
      - key: {{ $v.admin.tokenKey }}
        path: token
{{- end }}
{{- if $v.admin.tlsSecret }}
- name: admin-tls
  secret:
    secretName: {{ $v.admin.tlsSecret }}
    defaultMode: 0440
{{- end }}
{{- if $v.guest.proxySecret.existingSecret }}
- name: guest-proxy
  secret:
    secretName: {{ $v.guest.proxySecret.existingSecret }}
    defaultMode: 0440
    items:
      - key: {{ $v.guest.proxySecret.key }}
        path: secret
{{- end }}
{{- if $v.database.caSecret }}
- name: database-ca
  secret:
    secretName: {{ $v.database.caSecret }}
    defaultMode: 0444
    items:
      - key: ca.crt
        path: ca.crt
{{- end }}
{{- end -}}

{{- define "seedwell.volumeMounts" -}}
{{- $v := .Values -}}
- name: state
  mountPath: /var/lib/seedwell
- name: tmp
  mountPath: /tmp
- name: database
  mountPath: /var/run/secrets/seedwell/database
  readOnly: true
- name: key-encryption-key
  mountPath: /var/run/secrets/seedwell/key-encryption-key
  readOnly: true
{{- if $v.admin.existingSecret }}
- name: admin-token
  mountPath: /var/run/secrets/seedwell/admin
  readOnly: true
{{- end }}
{{- if $v.admin.tlsSecret }}
- name: admin-tls
  mountPath: /var/run/secrets/seedwell/admin-tls
  readOnly: true
{{- end }}
{{- if $v.guest.proxySecret.existingSecret }}
- name: guest-proxy
  mountPath: /var/run/secrets/seedwell/guest-proxy
  readOnly: true
{{- end }}
{{- if $v.database.caSecret }}
- name: database-ca
  mountPath: /etc/seedwell/database-ca
  readOnly: true
{{- end }}
{{- end -}}

{{/* The restricted Pod Security profile, for the pod and for each container. */}}
{{- define "seedwell.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .runAsUser }}
runAsGroup: {{ .runAsGroup }}
fsGroup: {{ .fsGroup }}
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "seedwell.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
capabilities:
  drop: [ALL]
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* Probes on the admin listener: /readyz once seeded, /healthz while alive. */}}
{{- define "seedwell.probes" -}}
{{- $p := .Values.probes -}}
{{- $scheme := include "seedwell.adminScheme" . -}}
startupProbe:
  httpGet: {path: /readyz, port: admin, scheme: {{ $scheme }}}
  periodSeconds: {{ $p.startup.periodSeconds }}
  failureThreshold: {{ $p.startup.failureThreshold }}
  timeoutSeconds: {{ $p.startup.timeoutSeconds }}
readinessProbe:
  httpGet: {path: /readyz, port: admin, scheme: {{ $scheme }}}
  periodSeconds: {{ $p.readiness.periodSeconds }}
  failureThreshold: {{ $p.readiness.failureThreshold }}
  timeoutSeconds: {{ $p.readiness.timeoutSeconds }}
livenessProbe:
  httpGet: {path: /healthz, port: admin, scheme: {{ $scheme }}}
  periodSeconds: {{ $p.liveness.periodSeconds }}
  failureThreshold: {{ $p.liveness.failureThreshold }}
  timeoutSeconds: {{ $p.liveness.timeoutSeconds }}
lifecycle:
  preStop:
    sleep:
      seconds: {{ .Values.preStopSleepSeconds }}
{{- end -}}

{{/*
seedwell.adminPeers: who may reach the admin port, as NetworkPolicy peers (empty: nobody but
the node's kubelet, which NetworkPolicies do not govern).
*/}}
{{- define "seedwell.adminPeers" -}}
{{- range .Values.networkPolicy.admin.fromCIDRs }}
- ipBlock:
    cidr: {{ . }}
{{- end }}
{{- with .Values.networkPolicy.admin.fromNamespaces }}
- namespaceSelector:
    matchExpressions:
      - key: kubernetes.io/metadata.name
        operator: In
        values:
          {{- toYaml . | nindent 10 }}
{{- end }}
{{- end -}}

{{/* seedwell.egressRules: PostgreSQL and DNS only (networkPolicy.egress.enabled). */}}
{{- define "seedwell.egressRules" -}}
- to:
    {{- range .Values.networkPolicy.egress.databaseCIDRs }}
    - ipBlock:
        cidr: {{ . }}
    {{- end }}
  ports:
    - port: {{ .Values.networkPolicy.egress.databasePort }}
      protocol: TCP
- to:
    - namespaceSelector: {}
      podSelector:
        matchLabels:
          k8s-app: kube-dns
  ports:
    - port: 53
      protocol: UDP
    - port: 53
      protocol: TCP
{{- end -}}

{{/* seedwell.scrapeEndpoint: how Prometheus reads /metrics (the admin token as a Bearer). */}}
{{- define "seedwell.scrapeEndpoint" -}}
path: /metrics
interval: {{ .Values.metrics.serviceMonitor.interval }}
scrapeTimeout: {{ .Values.metrics.serviceMonitor.scrapeTimeout }}
authorization:
  type: Bearer
  credentials:
    name: {{ include "seedwell.metricsTokenSecret" . }}
    key: {{ default .Values.admin.tokenKey .Values.metrics.serviceMonitor.tokenKey }}
{{- if .Values.admin.tlsSecret }}
scheme: https
tlsConfig:
  serverName: {{ include "seedwell.fullname" . }}-admin.{{ .Release.Namespace }}.svc
  ca:
    secret:
      name: {{ .Values.admin.tlsSecret }}
      key: ca.crt
{{- else }}
scheme: http
{{- end }}
{{- end -}}
