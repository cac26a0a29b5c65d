/* The practical limit for the sweep benchmark: a plain C loop of the same arithmetic as
 * optviz's sweep kernel (Adam with torch's order of operations, on Rosenbrock, with the same
 * divergence and tolerance bookkeeping), written so that gcc vectorizes it across cells:
 * steps outer, cells inner, arrays of structs turned into structs of arrays, no branches.
 * Compiled with gcc -O3 -march=native -fno-math-errno -fopenmp; the cells in blocks of 256
 * (a block's arrays fit in L1), all steps of a block at once, the blocks shared by OpenMP's
 * threads (OMP_NUM_THREADS: the machine's cores).
 *
 * usage: sweep_adam_rosenbrock NX NY STEPS  -> prints "seconds checksum cells_reaching_tol"
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static inline float loss(float x, float y) { float a = 1.f - x, b = y - x * x; return a * a + 100.f * b * b; }

int main(int argc, char **argv) {
    int nx = atoi(argv[1]), ny = atoi(argv[2]), steps = atoi(argv[3]), n = nx * ny;
    const float b2 = 0.999f, eps = 1e-8f, tol = 1e-3f;
    float *restrict x = malloc(4 * n), *restrict y = malloc(4 * n), *restrict mx = calloc(n, 4),
          *restrict my = calloc(n, 4), *restrict vx = calloc(n, 4), *restrict vy = calloc(n, 4),
          *restrict f = malloc(4 * n), *restrict lr = malloc(4 * n), *restrict b1 = malloc(4 * n),
          *restrict p1 = malloc(4 * n);
    int *restrict alive = malloc(4 * n), *restrict hit = malloc(4 * n);
    for (int i = 0; i < ny; i++)
        for (int j = 0; j < nx; j++) {
            int k = i * nx + j;
            lr[k] = 1e-4f * powf(1e4f, (float)j / (nx - 1));  /* lr = 1e-4 .. 1, log */
            b1[k] = 0.99f * (float)i / (ny - 1);               /* b1 = 0 .. 0.99 */
            x[k] = -1.5f; y[k] = 2.f; f[k] = loss(x[k], y[k]); p1[k] = 1.f;
            alive[k] = 1; hit[k] = f[k] <= tol ? 0 : -1;
        }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
#pragma omp parallel for schedule(static)
    for (int start = 0; start < n; start += 256) {
    const int end = start + 256 < n ? start + 256 : n;
    float p2 = 1.f;
    for (int t = 0; t < steps; t++) {
        p2 *= b2;
        const float sbc2 = sqrtf(1.f - p2);
#pragma omp simd
        for (int k = start; k < end; k++) {
            float X = x[k], Y = y[k], B1 = b1[k];
            float gx = -2.f * (1.f - X) - 400.f * X * (Y - X * X), gy = 200.f * (Y - X * X);
            float MX = B1 * mx[k] + (1.f - B1) * gx, MY = B1 * my[k] + (1.f - B1) * gy;
            float VX = b2 * vx[k] + (1.f - b2) * gx * gx, VY = b2 * vy[k] + (1.f - b2) * gy * gy;
            float P1 = p1[k] * B1, step = lr[k] / (1.f - P1);
            float NX = X - step * (MX / (sqrtf(VX) / sbc2 + eps));
            float NY = Y - step * (MY / (sqrtf(VY) / sbc2 + eps));
            float NF = loss(NX, NY);
            /* finite test without a libm call, so the loop stays vectorizable: x - x is 0 only when finite */
            int ok = (alive[k] != 0) & ((NX - NX) == 0.f) & ((NY - NY) == 0.f) & ((NF - NF) == 0.f);
            x[k] = ok ? NX : X; y[k] = ok ? NY : Y; f[k] = ok ? NF : f[k];
            mx[k] = ok ? MX : mx[k]; my[k] = ok ? MY : my[k]; vx[k] = ok ? VX : vx[k]; vy[k] = ok ? VY : vy[k];
            p1[k] = ok ? P1 : p1[k];
            hit[k] = (ok & (hit[k] < 0) & (NF <= tol)) ? t + 1 : hit[k];
            alive[k] = ok;
        }
    }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double sum = 0; long hits = 0;
    for (int k = 0; k < n; k++) { if (alive[k]) sum += f[k]; hits += hit[k] >= 0; }
    printf("%.6f %.6g %ld\n", (t1.tv_sec - t0.tv_sec) + 1e-9 * (t1.tv_nsec - t0.tv_nsec), sum, hits);
    return 0;
}
